/**
 * An agent's checkout that tries to make the host read beyond it: links and
 * special files inside its .git (which upload-pack, on the host, would follow
 * or block on), nested repositories and huge files in its work tree (which
 * `git add` would read). Collection must refuse each, before any git process
 * reads the offending entry, and leave nothing of it in the host repository.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, openSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_WORK_FILE_BYTES } from '../../src/git/agent-repo-guard.js';
import { SimpleGitClient } from '../../src/git/simple-git-client.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';

const IDENTITY = { name: 'Agent Smith', email: 'agent.smith@example.test' };

let forge: Forge;
let dir: string;
let client: SimpleGitClient;
let mirror: string;
let repo: string;
let agentGit: string;
let hostGit: string;
let start: string;
let secretRepo: string;
let secretHead: string;

beforeEach(async () => {
  forge = makeForge();
  forge.createRepo('acme', 'app', { 'README.md': '# app\n' });
  dir = makeTempDir('hostile-checkout');
  client = new SimpleGitClient({ PATH: process.env.PATH, HOME: dir });
  mirror = join(dir, 'mirror.git');
  await client.syncMirror(`${forge.url}/acme/app.git`, mirror);
  repo = join(dir, 'ws', 'repo');
  agentGit = join(repo, '.git');
  hostGit = join(dir, 'ws', '.meta', 'git');
  mkdirSync(join(dir, 'ws', '.meta'), { recursive: true });
  await client.cloneLocal(mirror, repo, `${forge.url}/acme/app.git`);
  start = (await client.resolveCommit(mirror, 'refs/heads/main')) as string;
  await client.checkout(repo, start, 'agent/issue-1');
  copyFileSync(join(agentGit, 'index'), join(dir, 'ws', '.meta', 'start-index'));
  // A private repository elsewhere on the host (another project's mirror, another agent's workspace...), packed as a clone is.
  secretRepo = join(dir, 'private', 'secret');
  mkdirSync(secretRepo, { recursive: true });
  git(secretRepo, 'init', '-q', '-b', 'main');
  writeFileSync(join(secretRepo, 'credentials.txt'), 'PRIVATE HOST DATA\n');
  git(secretRepo, 'add', 'credentials.txt');
  git(secretRepo, '-c', 'user.name=op', '-c', 'user.email=op@example.test', 'commit', '-q', '-m', 'private');
  git(secretRepo, 'gc', '-q');
  secretHead = git(secretRepo, 'rev-parse', 'HEAD');
});

afterEach(() => {
  forge.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const paths = () => ({ repo, hostGit, mirror, startIndex: join(dir, 'ws', '.meta', 'start-index') });
const collect = () => client.collectWork(paths(), start, 'agentctl: run 1', IDENTITY);

/** Whether the host repository holds the secret commit (it must not, whatever collection answered). */
function hostHasSecret(): boolean {
  try {
    git(hostGit, 'cat-file', '-e', `${secretHead}^{commit}`);
    return true;
  } catch {
    return false;
  }
}

describe('links and special files inside the agent .git', () => {
  it('objects/pack and packed-refs linked to another host repository: refused before the fetch', async () => {
    rmSync(join(agentGit, 'objects', 'pack'), { recursive: true, force: true });
    symlinkSync(join(secretRepo, '.git', 'objects', 'pack'), join(agentGit, 'objects', 'pack'));
    rmSync(join(agentGit, 'packed-refs'), { force: true });
    symlinkSync(join(secretRepo, '.git', 'packed-refs'), join(agentGit, 'packed-refs'));
    rmSync(join(agentGit, 'refs', 'heads'), { recursive: true, force: true });
    mkdirSync(join(agentGit, 'refs', 'heads'));
    writeFileSync(join(agentGit, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(repo, 'work.txt'), 'agent work\n');

    await expect(collect()).rejects.toThrow(/cannot be read safely: .*(objects\/pack|packed-refs) is a link/);
    expect(hostHasSecret()).toBe(false);
  });

  it('refs/heads and loose object directories linked to another host repository: refused', async () => {
    git(secretRepo, 'repack', '-q', '-a', '-d'); // keep the pack; add loose objects of a second commit
    writeFileSync(join(secretRepo, 'key.pem'), 'PRIVATE KEY\n');
    git(secretRepo, 'add', 'key.pem');
    git(secretRepo, '-c', 'user.name=op', '-c', 'user.email=op@example.test', 'commit', '-q', '-m', 'key');
    const secretGit = join(secretRepo, '.git');
    for (const sub of readdirSync(join(secretGit, 'objects')).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
      rmSync(join(agentGit, 'objects', sub), { recursive: true, force: true });
      symlinkSync(join(secretGit, 'objects', sub), join(agentGit, 'objects', sub));
    }
    rmSync(join(agentGit, 'refs', 'heads'), { recursive: true, force: true });
    symlinkSync(join(secretGit, 'refs', 'heads'), join(agentGit, 'refs', 'heads'));
    writeFileSync(join(agentGit, 'HEAD'), 'ref: refs/heads/main\n');

    await expect(collect()).rejects.toThrow(/cannot be read safely: .* is a link/);
    expect(readdirSync(join(dir, 'ws', '.meta'))).not.toContain('git');
  });

  it('a FIFO as .git/HEAD is refused at once instead of hanging the collection', async () => {
    rmSync(join(agentGit, 'HEAD'));
    execFileSync('mkfifo', [join(agentGit, 'HEAD')]);
    await expect(collect()).rejects.toThrow(/cannot be read safely: .*HEAD is a special file/);
  }, 15_000);

  it('a link deep in .git (a hook) is refused too, though git would never run it', async () => {
    symlinkSync('/etc/passwd', join(agentGit, 'hooks', 'pre-commit'));
    await expect(collect()).rejects.toThrow(/hooks\/pre-commit is a link/);
  });
});

describe('what the work tree may hold', () => {
  it('a nested repository whose .git is a link to a host repository: refused, no gitlink recorded', async () => {
    mkdirSync(join(repo, 'vendor', 'lib'), { recursive: true });
    symlinkSync(join(secretRepo, '.git'), join(repo, 'vendor', 'lib', '.git'));
    await expect(collect()).rejects.toThrow(/cannot be read safely: .*vendor\/lib\/\.git is a link/);
  });

  it('a nested .git that is a file (gitfile) pointing at a host repository: refused', async () => {
    mkdirSync(join(repo, 'vendor', 'lib'), { recursive: true });
    writeFileSync(join(repo, 'vendor', 'lib', '.git'), `gitdir: ${join(secretRepo, '.git')}\n`);
    await expect(collect()).rejects.toThrow(/vendor\/lib\/\.git is a file/);
  });

  it('a nested repository that the start tree has no gitlink for: refused', async () => {
    const nested = join(repo, 'nested');
    mkdirSync(nested);
    git(nested, 'init', '-q', '-b', 'main');
    writeFileSync(join(nested, 'x.txt'), 'x\n');
    git(nested, 'add', 'x.txt');
    git(nested, '-c', 'user.name=a', '-c', 'user.email=a@example.test', 'commit', '-q', '-m', 'x');
    await expect(collect()).rejects.toThrow(/nested is a repository not in the start tree/);
  });

  it(`a file over ${MAX_WORK_FILE_BYTES} bytes (sparse, no disk) is refused before git reads it`, async () => {
    const fd = openSync(join(repo, 'big.bin'), 'w');
    ftruncateSync(fd, MAX_WORK_FILE_BYTES + 1);
    closeSync(fd);
    const t0 = Date.now();
    await expect(collect()).rejects.toThrow(/big\.bin is larger than/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a large file git ignores is no reason to refuse, and ordinary work is collected', async () => {
    writeFileSync(join(repo, '.gitignore'), 'dist/\n');
    mkdirSync(join(repo, 'dist'));
    const fd = openSync(join(repo, 'dist', 'big.bin'), 'w');
    ftruncateSync(fd, MAX_WORK_FILE_BYTES + 1);
    closeSync(fd);
    mkdirSync(join(repo, 'src'));
    writeFileSync(join(repo, 'src', 'work.txt'), 'agent work\n');
    const work = await collect();
    expect(work.changed).toBe(true);
    expect(git(hostGit, 'show', `${work.commit}:src/work.txt`)).toBe('agent work');
    expect(git(hostGit, 'ls-tree', '-r', '--name-only', work.commit)).not.toContain('dist/big.bin');
  });
});
