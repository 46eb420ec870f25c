/** What agentctl needs from a forge (GitHub, Forgejo, Gitea): one interface, one adapter per API. */

export interface ForgeComment {
  id: number;
  author: string;
  body: string;
  createdAt: string;
}

export interface ForgeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  url: string;
}

export interface ForgePull {
  number: number;
  title: string;
  body: string;
  /** Branch the PR merges into. */
  base: string;
  /** Branch the PR comes from. */
  head: string;
  headSha: string;
  url: string;
}

/** An open issue or PR found by label: only what the watcher decides on, none of its text. */
export interface LabelledItem {
  number: number;
  labels: string[];
}

/** The validators of the last answer to a conditional list request, kept per URL. */
export interface ListValidators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

/** A conditional list: unchanged since the validators (a 304, which costs no GitHub rate limit), or the items and new validators. */
export type LabelledList = { notModified: true } | { notModified: false; items: LabelledItem[]; validators: ListValidators };

export interface RepoId {
  owner: string;
  repo: string;
}

export interface Forge {
  readonly kind: 'github' | 'forgejo' | 'gitea';
  /** Config key, for messages: "forge github". */
  readonly key: string;
  getIssue(repo: RepoId, number: number): Promise<ForgeIssue>;
  /** Oldest first; at most the newest `limit`. */
  listComments(repo: RepoId, number: number, limit?: number): Promise<ForgeComment[]>;
  /** Comments created or edited at or after `since` (an ISO time), oldest first; at most the first 100. */
  listCommentsSince(repo: RepoId, number: number, since: string): Promise<ForgeComment[]>;
  getPull(repo: RepoId, number: number): Promise<ForgePull>;
  /** Paths changed by the PR (at most a few hundred). */
  listPullFiles(repo: RepoId, number: number): Promise<string[]>;
  postComment(repo: RepoId, number: number, body: string): Promise<ForgeComment>;
  editComment(repo: RepoId, commentId: number, body: string): Promise<ForgeComment>;
  /** Adds labels, creating them on the repo first if the forge needs that. */
  addLabels(repo: RepoId, number: number, labels: string[]): Promise<void>;
  /** Removing a label the issue does not have is not an error. */
  removeLabel(repo: RepoId, number: number, label: string): Promise<void>;
  /** Forgejo/Gitea issue stopwatch; GitHub has none and rejects these. */
  startStopwatch(repo: RepoId, number: number): Promise<void>;
  stopStopwatch(repo: RepoId, number: number): Promise<void>;
  /** The login the token belongs to: the account agentctl works as. */
  currentUser(): Promise<string>;
  /**
   * `user`'s permission on the repo as the forge names it (GitHub: admin,
   * write, read, none; Forgejo/Gitea: owner, admin, write, read, none);
   * undefined when the forge does not know the user or will not say.
   */
  permission(repo: RepoId, user: string): Promise<string | undefined>;
  /**
   * Open issues (or PRs) carrying `label`, oldest first, at most a few
   * hundred. Sends If-None-Match / If-Modified-Since from `validators`.
   */
  listLabelled(repo: RepoId, label: string, on: 'issues' | 'pull_request', validators?: ListValidators): Promise<LabelledList>;
  createPull(repo: RepoId, pull: { title: string; body: string; head: string; base: string }): Promise<{ number: number; url: string }>;
}
