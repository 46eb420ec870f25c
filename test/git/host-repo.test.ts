/**
 * The git client's work collection and push against real repositories: an
 * agent's checkout with hostile configuration, hooks, filters and links, a
 * host-owned repository borrowing a mirror's objects, and a bare origin.
 */
import { appendFileSync, chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { copyIndexFile } from '../../src/git/index-file.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchChangedRefs, SimpleGitClient } from '../../src/git/simple-git-client.js';
import type { GitClient } from '../../src/git/git-client.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';

const IDENTITY = { name: 'Agent Smith', email: 'agent.smith@example.test' };

let forge: Forge;
let dir: string;
let markers: string;
let client: GitClient;
let mirror: string;
let repo: string;
let hostGit: string;
let start: string;

beforeEach(async () => {
  forge = makeForge();
  forge.createRepo('acme', 'app', { 'README.md': '# app\n', '.gitignore': 'dist/\n' });
  dir = makeTempDir('host-repo');
  markers = join(dir, 'markers');
  mkdirSync(markers);
  client = new SimpleGitClient({ PATH: process.env.PATH, HOME: dir });
  mirror = join(dir, 'mirror.git');
  await client.syncMirror(`${forge.url}/acme/app.git`, mirror);
  repo = join(dir, 'ws', 'repo');
  hostGit = join(dir, 'ws', '.meta', 'git');
  mkdirSync(join(dir, 'ws', '.meta'), { recursive: true });
  await client.cloneLocal(mirror, repo, `${forge.url}/acme/app.git`);
  start = (await client.resolveCommit(mirror, 'refs/heads/main')) as string;
  await client.checkout(repo, start, 'agent/issue-1');
  copyIndexFile(join(repo, '.git', 'index'), join(dir, 'ws', '.meta', 'start-index'));
});

afterEach(() => {
  forge.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const paths = () => ({ repo, hostGit, mirror, startIndex: join(dir, 'ws', '.meta', 'start-index') });
const agentGit = (...args: string[]) => git(repo, '-c', 'core.hooksPath=/dev/null', ...args);

/** What the agent's repository could configure to run on whichever host git reads it. */
function plantHostileConfig(): void {
  writeFileSync(join(repo, '.gitattributes'), '* filter=evil\n');
  appendFileSync(
    join(repo, '.git', 'config'),
    [
      '[core]',
      `\tfsmonitor = touch ${markers}/fsmonitor`,
      `\thooksPath = ${join(repo, 'hooks')}`,
      '[filter "evil"]',
      `\tclean = sh -c 'touch ${markers}/clean; cat'`,
      '\trequired = true',
      '[uploadpack]',
      `\tpackObjectsHook = touch ${markers}/pack-objects-hook;`,
      '',
    ].join('\n'),
  );
  for (const hooks of [join(repo, '.git', 'hooks'), join(repo, 'hooks')]) {
    mkdirSync(hooks, { recursive: true });
    for (const name of ['pre-commit', 'post-commit', 'prepare-commit-msg', 'post-checkout', 'post-index-change', 'reference-transaction', 'pre-push']) {
      writeFileSync(join(hooks, name), `#!/bin/sh\ntouch ${markers}/hook-${name}\n`);
      chmodSync(join(hooks, name), 0o755);
    }
  }
}

describe('collectWork', () => {
  it('takes the agent commits and its uncommitted work, running nothing its repository configures', async () => {
    writeFileSync(join(repo, 'committed.txt'), 'committed\n');
    agentGit('add', 'committed.txt');
    agentGit('-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-q', '-m', 'agent commit');
    const agentHead = agentGit('rev-parse', 'HEAD');
    plantHostileConfig();
    writeFileSync(join(repo, 'uncommitted.txt'), 'left over\n');
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    expect(readdirSync(markers)).toEqual([]);
    expect(work.changed).toBe(true);
    const show = (what: string) => git(hostGit, 'show', what);
    expect(show(`${work.commit}:committed.txt`)).toBe('committed');
    // Stored as the work tree has it: the filter that would rewrite it has no driver here.
    expect(show(`${work.commit}:uncommitted.txt`)).toBe('left over');
    expect(git(hostGit, 'rev-parse', `${work.commit}^`)).toBe(agentHead);
    expect(git(hostGit, 'log', '-1', '--format=%an <%ae>|%s', work.commit)).toBe('Agent Smith <agent.smith@example.test>|agentctl: run 1');
  });

  it('never enters a nested repository the agent made in its work tree: refuses the work instead (not a gitlink of the start)', async () => {
    const nested = join(repo, 'vendor', 'lib');
    mkdirSync(nested, { recursive: true });
    git(nested, 'init', '-q');
    writeFileSync(join(nested, 'file.txt'), 'nested\n');
    git(nested, 'add', 'file.txt');
    git(nested, '-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-q', '-m', 'nested');
    appendFileSync(join(nested, '.git', 'config'), `[core]\n\tfsmonitor = touch ${markers}/nested-fsmonitor\n`);
    writeFileSync(join(nested, 'file.txt'), 'changed\n');
    for (const name of ['post-index-change', 'post-checkout']) {
      writeFileSync(join(nested, '.git', 'hooks', name), `#!/bin/sh\ntouch ${markers}/nested-${name}\n`);
      chmodSync(join(nested, '.git', 'hooks', name), 0o755);
    }
    writeFileSync(join(repo, 'top.txt'), 'top\n');
    await expect(client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY)).rejects.toThrow(/vendor\/lib is a repository not in the start tree/);
    expect(readdirSync(markers)).toEqual([]);
  });

  it('changed nothing: the start itself, not changed', async () => {
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    expect(work).toEqual({ commit: start, changed: false });
  });

  it('an uncommitted edit of a tracked file, the same size, is collected on top of the start', async () => {
    writeFileSync(join(repo, 'README.md'), '# abc\n');
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    expect(work.changed).toBe(true);
    expect(git(hostGit, 'show', `${work.commit}:README.md`)).toBe('# abc');
    expect(git(hostGit, 'rev-parse', `${work.commit}^`)).toBe(start);
  });

  it('a same-size edit within the second of the checkout is still collected (racily clean entries)', async () => {
    // A checkout 100 s ago, its index made in the same second, and an edit of the same size in that second.
    const file = join(repo, 'README.md');
    const then = Math.floor(Date.now() / 1000) - 100;
    utimesSync(file, then, then);
    agentGit('update-index', '--refresh');
    copyIndexFile(join(repo, '.git', 'index'), paths().startIndex);
    utimesSync(paths().startIndex, then, then);
    writeFileSync(file, '# abc\n');
    utimesSync(file, then, then);
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    expect(work.changed).toBe(true);
    expect(git(hostGit, 'show', `${work.commit}:README.md`)).toBe('# abc');
  });

  it('a commit that restores the start tree is no change', async () => {
    writeFileSync(join(repo, 'README.md'), '# changed\n');
    agentGit('-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-q', '-a', '-m', 'change');
    writeFileSync(join(repo, 'README.md'), '# app\n');
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    expect(work.changed).toBe(false);
  });

  it('stores links as links without following them, and keeps tracked files that .gitignore matches', async () => {
    const secret = join(dir, 'host-secret.txt');
    writeFileSync(secret, 'host secret\n');
    symlinkSync(secret, join(repo, 'link'));
    mkdirSync(join(repo, 'dist'));
    writeFileSync(join(repo, 'dist', 'bundle.js'), 'built\n');
    agentGit('add', '-f', 'dist/bundle.js');
    agentGit('-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-q', '-m', 'add a build');
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    expect(git(hostGit, 'ls-tree', work.commit, 'link').split(/\s/)[0]).toBe('120000');
    expect(git(hostGit, 'show', `${work.commit}:link`)).toBe(secret);
    expect(git(hostGit, 'show', `${work.commit}:dist/bundle.js`)).toBe('built');
  });

  it.each<[string, () => void]>([
    ['.git is a link', () => {
      const elsewhere = join(dir, 'elsewhere.git');
      git(dir, 'clone', '-q', '--bare', mirror, elsewhere);
      rmSync(join(repo, '.git'), { recursive: true });
      symlinkSync(elsewhere, join(repo, '.git'));
    }],
    ['.git is a gitfile', () => {
      rmSync(join(repo, '.git'), { recursive: true });
      writeFileSync(join(repo, '.git'), `gitdir: ${mirror}\n`);
    }],
    ['objects borrow from another repository (alternates)', () => writeFileSync(join(repo, '.git', 'objects', 'info', 'alternates'), `${mirror}/objects\n`)],
    ['.git has a commondir pointing elsewhere', () => writeFileSync(join(repo, '.git', 'commondir'), `${mirror}\n`)],
  ])('refuses a checkout whose %s', async (_name, plant) => {
    plant();
    await expect(client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY)).rejects.toThrow(/cannot be read safely/);
    expect(existsSync(join(hostGit, 'HEAD'))).toBe(false);
  });
});

describe('collectWork on a reused workspace', () => {
  it('builds on the work collected before, so each push is a fast-forward', async () => {
    const origin = join(forge.dir, 'acme', 'app.git');
    const push = (commit: string) => client.pushWork(hostGit, `${forge.url}/acme/app.git`, commit, 'agent/issue-1', undefined);
    writeFileSync(join(repo, 'one.txt'), 'one\n');
    const first = await client.collectWork(paths(), start, 'run 1', IDENTITY);
    await push(first.commit);
    // Run 2 adds more, still without committing: one commit on top of the first.
    writeFileSync(join(repo, 'two.txt'), 'two\n');
    const second = await client.collectWork(paths(), start, 'run 2', IDENTITY);
    expect(git(hostGit, 'rev-parse', `${second.commit}^`)).toBe(first.commit);
    await push(second.commit);
    // Nothing new: the same commit again.
    expect(await client.collectWork(paths(), start, 'run 3', IDENTITY)).toEqual({ commit: second.commit, changed: true });
    // Run 4 commits in the checkout: its commit joins the collected work as a second parent.
    writeFileSync(join(repo, 'four.txt'), 'four\n');
    agentGit('add', 'four.txt');
    agentGit('-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-q', '-m', 'four');
    const fourth = await client.collectWork(paths(), start, 'run 4', IDENTITY);
    expect(git(hostGit, 'rev-parse', `${fourth.commit}^1`, `${fourth.commit}^2`).split('\n')).toEqual([second.commit, agentGit('rev-parse', 'HEAD')]);
    await push(fourth.commit);
    expect(git(origin, 'ls-tree', '--name-only', 'refs/heads/agent/issue-1').split('\n').sort()).toEqual(['.gitignore', 'README.md', 'four.txt', 'one.txt', 'two.txt']);
  });
});

describe('pushWork', () => {
  it('pushes the collected commit to the given url and branch, whatever the checkout says its remotes are', async () => {
    const evil = join(dir, 'evil.git');
    git(dir, 'init', '-q', '--bare', evil);
    agentGit('remote', 'set-url', '--push', 'origin', evil);
    appendFileSync(join(repo, '.git', 'config'), `[url "${evil}"]\n\tinsteadOf = ${forge.url}/acme/app.git\n`);
    writeFileSync(join(repo, 'work.txt'), 'work\n');
    const work = await client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);
    await client.pushWork(hostGit, `${forge.url}/acme/app.git`, work.commit, 'agent/issue-1', undefined);
    const origin = join(forge.dir, 'acme', 'app.git');
    expect(git(origin, 'rev-parse', 'refs/heads/agent/issue-1')).toBe(work.commit);
    expect(git(origin, 'rev-parse', 'refs/heads/main')).toBe(start);
    expect(git(evil, 'for-each-ref')).toBe('');
  });
});

describe('cloneLocal', () => {
  it('shares no object file with the mirror: rewriting one in the checkout leaves the mirror intact', () => {
    const packDir = join(repo, '.git', 'objects', 'pack');
    for (const name of readdirSync(packDir)) {
      const file = join(packDir, name);
      expect(statSync(file).nlink).toBe(1);
      expect(lstatSync(file).isFile()).toBe(true);
      chmodSync(file, 0o644);
      writeFileSync(file, 'garbage');
    }
    expect(() => git(mirror, 'fsck', '--strict')).not.toThrow();
  });
});

describe('fetchChangedRefs', () => {
  it.each<[string, string, boolean]>([
    ['nothing new', 'From /forge/acme/app\n = [up to date]      main       -> main\n', false],
    ['a branch moved', 'From /forge/acme/app\n   1a2b3c4..5d6e7f8  main       -> main\n = [up to date]      dev        -> dev\n', true],
    ['a new branch', 'From /forge/acme/app\n * [new branch]      feature    -> feature\n', true],
    ['a branch pruned', 'From /forge/acme/app\n - [deleted]         (none)     -> old\n', true],
    ['a forced update', 'From /forge/acme/app\n + 1a2b3c4...5d6e7f8 main       -> main  (forced update)\n', true],
  ])('%s', (_name, stderr, changed) => {
    expect(fetchChangedRefs(stderr)).toBe(changed);
  });
});
