import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { GitClient } from '../../src/git/git-client.js';
import type { CollectedWork, WorkPaths } from '../../src/git/host-repo.js';

/** A repository on a fake remote: its refs (refs/heads/main, refs/tags/v1, refs/pull/7/head → commit) and its files. */
export interface FakeRepo {
  /** The default branch. */
  head: string;
  refs: Record<string, string>;
  files: Record<string, string>;
}

/** One call the code under test made, with its arguments. */
export interface GitCall {
  op: keyof GitClient;
  args: unknown[];
}

/** A repository with one commit on main, for tests that need a checkout but not its history. */
export function fakeRepo(files: Record<string, string> = { 'README.md': '# web\n' }, refs: Record<string, string> = {}): FakeRepo {
  return { head: 'main', refs: { 'refs/heads/main': 'c0ffee0000000000000000000000000000000001', ...refs }, files };
}

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = relative(dir, join(entry.parentPath, entry.name));
    if (!entry.isFile() || path === '.git' || path.startsWith('.git/')) continue;
    out[path] = readFileSync(join(dir, path), 'utf8');
  }
  return out;
}

/**
 * A GitClient that runs no git: remotes are in memory, a mirror is an empty
 * directory standing for its remote, and a checkout writes the remote's
 * files. It records every call, so a test can say what was fetched,
 * collected and pushed. For command tests that do not test git itself
 * (test/git/ and the integration tests run the real one).
 */
export class FakeGitClient implements GitClient {
  readonly calls: GitCall[] = [];
  readonly pushes: Array<{ url: string; commit: string; branch: string; withToken: boolean }> = [];
  /** Which remote a mirror or clone directory stands for. */
  private readonly origin = new Map<string, string>();
  private readonly localBranches = new Map<string, Record<string, string>>();
  private collected = 0;

  constructor(readonly remotes: Record<string, FakeRepo>) {}

  private record(op: keyof GitClient, ...args: unknown[]): void {
    this.calls.push({ op, args });
  }

  /** A directory's remote; one it has not seen (a checkout renamed into place) stands for the only remote there is. */
  private repoOf(dir: string): FakeRepo {
    const only = Object.keys(this.remotes).length === 1 ? Object.values(this.remotes)[0] : undefined;
    const url = this.origin.get(dir);
    const repo = url === undefined ? only : this.remotes[url];
    if (repo === undefined) throw new Error(`fatal: not a git repository: ${dir}`);
    return repo;
  }

  async syncMirror(url: string, mirrorDir: string): Promise<{ created: boolean; changed: boolean }> {
    this.record('syncMirror', url, mirrorDir);
    if (this.remotes[url] === undefined) throw new Error(`fatal: repository '${url}' does not exist`);
    const created = !existsSync(mirrorDir);
    mkdirSync(mirrorDir, { recursive: true });
    this.origin.set(mirrorDir, url);
    return { created, changed: created };
  }

  async resolveCommit(repoDir: string, ref: string): Promise<string | undefined> {
    this.record('resolveCommit', repoDir, ref);
    const { refs } = this.repoOf(repoDir);
    const local = this.localBranches.get(repoDir) ?? {};
    const remoteBranch = /^(?:refs\/remotes\/)?origin\/(.+)$/.exec(ref)?.[1];
    const found = refs[ref] ?? local[ref] ?? (remoteBranch === undefined ? undefined : refs[`refs/heads/${remoteBranch}`]);
    return found ?? (Object.values(refs).includes(ref) ? ref : undefined);
  }

  async defaultBranch(repoDir: string): Promise<{ name: string; commit: string | undefined } | undefined> {
    this.record('defaultBranch', repoDir);
    const repo = this.repoOf(repoDir);
    return { name: repo.head, commit: repo.refs[`refs/heads/${repo.head}`] };
  }

  async listRefs(repoDir: string, prefix: string): Promise<string[]> {
    this.record('listRefs', repoDir, prefix);
    return Object.keys(this.repoOf(repoDir).refs)
      .filter((ref) => ref.startsWith(prefix))
      .map((ref) => ref.slice(prefix.length));
  }

  async cloneLocal(mirrorDir: string, repoDir: string, originUrl: string): Promise<void> {
    this.record('cloneLocal', mirrorDir, repoDir, originUrl);
    this.repoOf(mirrorDir);
    mkdirSync(join(repoDir, '.git'), { recursive: true });
    writeFileSync(join(repoDir, '.git', 'index'), '');
    this.origin.set(repoDir, this.origin.get(mirrorDir) as string);
  }

  async refreshFromMirror(repoDir: string, mirrorDir: string, extraRefspecs: readonly string[] = []): Promise<void> {
    this.record('refreshFromMirror', repoDir, mirrorDir, extraRefspecs);
  }

  async resetBranch(repoDir: string, branch: string, startPoint: string): Promise<void> {
    this.record('resetBranch', repoDir, branch, startPoint);
    this.setBranch(repoDir, branch, startPoint);
  }

  async checkout(repoDir: string, commit: string, branch: string | undefined): Promise<void> {
    this.record('checkout', repoDir, commit, branch);
    const repo = this.repoOf(repoDir);
    for (const [path, text] of Object.entries(repo.files)) {
      mkdirSync(dirname(join(repoDir, path)), { recursive: true });
      writeFileSync(join(repoDir, path), text);
    }
    if (branch !== undefined) this.setBranch(repoDir, branch, commit);
  }

  async collectWork(paths: WorkPaths, start: string, message: string, identity: { name: string; email: string }): Promise<CollectedWork> {
    this.record('collectWork', paths, start, message, identity);
    // What the agent left is what differs from the remote's files.
    const before = this.repoOf(paths.repo).files;
    const after = filesUnder(paths.repo);
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    const changed = [...keys].some((key) => before[key] !== after[key]);
    this.collected += 1;
    return { commit: changed ? `fa4e${String(this.collected).padStart(36, '0')}` : start, changed };
  }

  async pushWork(hostGit: string, url: string, commit: string, branch: string, token: string | undefined): Promise<void> {
    this.record('pushWork', hostGit, url, commit, branch, token === undefined ? undefined : '(token)');
    this.pushes.push({ url, commit, branch, withToken: token !== undefined });
  }

  /** The predecessor's collected commit becomes the checkout's, on `branch`: its files stay what the fake checkout wrote. */
  async startFrom(repoDir: string, fromRepo: string, ref: string, branch: string | undefined): Promise<string> {
    this.record('startFrom', repoDir, fromRepo, ref, branch);
    const commit = `f0a4${String(this.calls.length).padStart(36, '0')}`;
    if (branch !== undefined) this.setBranch(repoDir, branch, commit);
    return commit;
  }

  async ensureBranch(repoDir: string, branch: string, startPoint: string): Promise<void> {
    this.record('ensureBranch', repoDir, branch, startPoint);
    if (this.localBranches.get(repoDir)?.[branch] === undefined) this.setBranch(repoDir, branch, startPoint);
  }

  private setBranch(repoDir: string, branch: string, startPoint: string): void {
    this.localBranches.set(repoDir, { ...this.localBranches.get(repoDir), [branch]: startPoint });
  }
}
