/** The git client's workspace-prep operations against real repositories over file://. */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitProcessEnv, SimpleGitClient } from '../../src/git/simple-git-client.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';

let forge: Forge;
let work: string;
let dir: string;
let client: SimpleGitClient;
let url: string;
let mirror: string;

beforeEach(() => {
  forge = makeForge();
  work = forge.createRepo('acme', 'app', { 'README.md': '# app\n' });
  dir = makeTempDir('simple-git-client');
  client = new SimpleGitClient({ PATH: process.env.PATH, HOME: dir });
  url = `${forge.url}/acme/app.git`;
  mirror = join(dir, 'mirror.git');
});

afterEach(() => {
  forge.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('SimpleGitClient', () => {
  it("hears a first clone's progress as git reports it, and the mirror is whole", async () => {
    const heard: string[] = [];
    const reporting = new SimpleGitClient({ PATH: process.env.PATH, HOME: dir }, (stage, percent) => heard.push(`${stage} ${percent}`));
    expect(await reporting.syncMirror(url, mirror)).toEqual({ created: true, changed: true });
    // A small repository may report only a few steps; each is a stage and a percentage.
    expect(heard.length).toBeGreaterThan(0);
    for (const step of heard) expect(step).toMatch(/^\S+ \d{1,3}$/);
    expect(await reporting.resolveCommit(mirror, 'refs/heads/main')).toMatch(/^[0-9a-f]{40}$/);
    // A fetch into the mirror stays quiet.
    heard.length = 0;
    expect(await reporting.syncMirror(url, mirror)).toEqual({ created: false, changed: false });
    expect(heard).toEqual([]);
  });

  it('creates a mirror, then reports whether a fetch brought anything', async () => {
    expect(await client.syncMirror(url, mirror)).toEqual({ created: true, changed: true });
    expect(await client.syncMirror(url, mirror)).toEqual({ created: false, changed: false });
    forge.commit(work, { 'b.txt': 'b\n' }, 'b');
    expect(await client.syncMirror(url, mirror)).toEqual({ created: false, changed: true });
    forge.commit(work, { 'c.txt': 'c\n' }, 'c', 'feature');
    expect(await client.syncMirror(url, mirror)).toEqual({ created: false, changed: true });
  });

  it('fails a clone of a missing repository with a hint, leaving nothing behind', async () => {
    await expect(client.syncMirror(`${forge.url}/acme/missing.git`, mirror)).rejects.toMatchObject({ code: 'git_failed' });
    expect(existsSync(mirror)).toBe(false);
  });

  it('resolves commits, the default branch and refs, and undefined for a missing ref', async () => {
    await client.syncMirror(url, mirror);
    const main = git(work, 'rev-parse', 'HEAD');
    expect(await client.resolveCommit(mirror, 'refs/heads/main')).toBe(main);
    expect(await client.resolveCommit(mirror, 'refs/heads/agent/issue-1')).toBeUndefined();
    expect(await client.defaultBranch(mirror)).toEqual({ name: 'main', commit: main });
    expect(await client.listRefs(mirror, 'refs/heads/')).toEqual(['main']);
  });

  it('clones from the mirror with the real origin, checks out a branch, and sets other branches without checking them out', async () => {
    await client.syncMirror(url, mirror);
    const main = git(work, 'rev-parse', 'HEAD');
    const repo = join(dir, 'repo');
    await client.cloneLocal(mirror, repo, url);
    expect(git(repo, 'remote', 'get-url', 'origin')).toBe(url);
    await client.checkout(repo, main, 'agent/issue-1');
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('agent/issue-1');
    await client.ensureBranch(repo, 'base', 'origin/main');
    expect(git(repo, 'rev-parse', 'refs/heads/base')).toBe(main);
    const next = forge.commit(work, { 'b.txt': 'b\n' }, 'b');
    await client.syncMirror(url, mirror);
    await client.refreshFromMirror(repo, mirror);
    await client.resetBranch(repo, 'base', 'refs/remotes/origin/main');
    expect(git(repo, 'rev-parse', 'refs/heads/base')).toBe(next);
    // ensureBranch leaves an existing branch where it is.
    await client.ensureBranch(repo, 'agent/issue-1', 'origin/main');
    expect(git(repo, 'rev-parse', 'refs/heads/agent/issue-1')).toBe(main);
  });
});

describe('gitProcessEnv', () => {
  it("passes what git reads, and none of agentctl's secrets", () => {
    const env = {
      PATH: '/usr/bin',
      HOME: '/home/op',
      GIT_SSH_COMMAND: 'ssh -i key',
      SSH_AUTH_SOCK: '/run/agent.sock',
      https_proxy: 'http://proxy:3128',
      LC_ALL: 'C.UTF-8',
      GITHUB_TOKEN: 'ghp_secret',
      FJ_TOKEN: 'fj_secret',
      ANTHROPIC_API_KEY: 'sk-ant-secret',
      // Set when agentctl runs from a git hook: they would point prep's git at another repository.
      GIT_DIR: '/elsewhere/.git',
      GIT_INDEX_FILE: '/elsewhere/index',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: '/elsewhere/hooks',
    };
    expect(gitProcessEnv(env)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/op',
      GIT_SSH_COMMAND: 'ssh -i key',
      SSH_AUTH_SOCK: '/run/agent.sock',
      https_proxy: 'http://proxy:3128',
      LC_ALL: 'C.UTF-8',
    });
  });
});
