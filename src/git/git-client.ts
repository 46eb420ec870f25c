import type { CollectedWork, WorkPaths } from './host-repo.js';

/** The git operations workspace prep needs; the real one shells out to git, tests use real repos too. */
export interface GitClient {
  /** Create the bare mirror of `url` at `mirrorDir`, or fetch into it when it exists; `changed` is false when the fetch brought nothing. */
  syncMirror(url: string, mirrorDir: string): Promise<{ created: boolean; changed: boolean }>;
  /** The commit a ref points to in `repoDir`, or undefined when the ref does not exist. */
  resolveCommit(repoDir: string, ref: string): Promise<string | undefined>;
  /** The branch HEAD points to in a (bare) repo, and its commit (undefined while the branch is unborn). */
  defaultBranch(repoDir: string): Promise<{ name: string; commit: string | undefined } | undefined>;
  /** Short names of refs under a prefix such as refs/tags/, for error messages. */
  listRefs(repoDir: string, prefix: string): Promise<string[]>;
  /** Self-contained clone of a local mirror (objects copied, never shared with the mirror) of `originUrl`, without checkout, with origin set to `originUrl`. */
  cloneLocal(mirrorDir: string, repoDir: string, originUrl: string): Promise<void>;
  /** Bring a clone's remote-tracking branches and tags (and any extra refspecs) up to date with the mirror it was cloned from. */
  refreshFromMirror(repoDir: string, mirrorDir: string, extraRefspecs?: readonly string[]): Promise<void>;
  /** Point a branch that is not checked out at `startPoint` (when that exists), creating it if needed. */
  resetBranch(repoDir: string, branch: string, startPoint: string): Promise<void>;
  /** Check out `commit` as a new local `branch`, or detached when branch is undefined. */
  checkout(repoDir: string, commit: string, branch: string | undefined): Promise<void>;
  /**
   * Bring what an agent's run left in its checkout (commits and uncommitted
   * work) into the host-owned repository, running nothing the checkout's
   * repository configures; `changed` compares the result with `start`.
   */
  collectWork(paths: WorkPaths, start: string, message: string, identity: { name: string; email: string }): Promise<CollectedWork>;
  /**
   * Push a collected commit of the host-owned repository to `branch` at `url`.
   * A token, when given, travels in the git process's environment as an HTTP
   * header, never on a command line.
   */
  pushWork(hostGit: string, url: string, commit: string, branch: string, token: string | undefined): Promise<void>;
  /**
   * Fetch `ref` of a host-owned repository (a predecessor run's collected
   * work) into a checkout agentctl made, and check it out as `branch`
   * (detached when undefined). Returns the commit.
   */
  startFrom(repoDir: string, fromRepo: string, ref: string, branch: string | undefined): Promise<string>;
  /** Create `branch` at `startPoint` unless it exists (or the start point does not). */
  ensureBranch(repoDir: string, branch: string, startPoint: string): Promise<void>;
}
