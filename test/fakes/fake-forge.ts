import type { Forge, ForgeComment, ForgeIssue, LabelledList, ListValidators, RepoId } from '../../src/forge/forge.js';

export interface FakeIssue {
  number: number;
  labels: string[];
  comments: ForgeComment[];
  pull?: boolean;
}

/**
 * An in-memory Forge for service tests: issues with labels and comments per
 * owner/name, every call logged, and a knob that makes the next calls throw
 * (an outage). Wire-level behaviour lives in test/support/fake-github.ts.
 */
export class FakeForge implements Forge {
  readonly kind = 'github' as const;
  readonly calls: string[] = [];
  readonly repos = new Map<string, FakeIssue[]>();
  /** The next this many calls throw this error. */
  failing: { count: number; error: Error } = { count: 0, error: new Error('down') };
  login = 'agentctl-bot';
  /** Runs before getIssue answers: another machine's watcher moving labels in between, say. */
  beforeGet: ((issue: FakeIssue) => void) | undefined;

  constructor(readonly key = 'gh') {}

  issues(repo: string): FakeIssue[] {
    let list = this.repos.get(repo);
    if (list === undefined) this.repos.set(repo, (list = []));
    return list;
  }

  private enter(call: string): void {
    this.calls.push(call);
    if (this.failing.count > 0) {
      this.failing.count -= 1;
      throw this.failing.error;
    }
  }

  private find(repo: RepoId, number: number): FakeIssue {
    const issue = this.issues(`${repo.owner}/${repo.repo}`).find((i) => i.number === number);
    if (issue === undefined) throw new Error(`no issue ${repo.owner}/${repo.repo}#${number}`);
    return issue;
  }

  async listLabelled(repo: RepoId, label: string, on: 'issues' | 'pull_request', _validators?: ListValidators): Promise<LabelledList> {
    this.enter(`list ${repo.owner}/${repo.repo} ${label}`);
    const items = this.issues(`${repo.owner}/${repo.repo}`)
      .filter((i) => (i.pull === true) === (on === 'pull_request') && i.labels.includes(label))
      .map((i) => ({ number: i.number, labels: [...i.labels] }));
    return { notModified: false, items, validators: {} };
  }

  async getIssue(repo: RepoId, number: number): Promise<ForgeIssue> {
    this.enter(`get #${number}`);
    const issue = this.find(repo, number);
    this.beforeGet?.(issue);
    return { number, title: `Issue ${number}`, body: '', labels: [...issue.labels], url: `https://forge.test/${repo.owner}/${repo.repo}/issues/${number}` };
  }

  async listComments(repo: RepoId, number: number, limit?: number): Promise<ForgeComment[]> {
    this.enter(`comments #${number}`);
    const all = this.find(repo, number).comments;
    return limit === undefined ? [...all] : all.slice(-limit);
  }

  async listCommentsSince(repo: RepoId, number: number, since: string): Promise<ForgeComment[]> {
    this.enter(`comments since #${number}`);
    return this.find(repo, number).comments.filter((c) => Date.parse(c.createdAt) >= Date.parse(since));
  }

  async postComment(repo: RepoId, number: number, body: string): Promise<ForgeComment> {
    this.enter(`comment #${number}`);
    const comment = { id: Date.now(), author: this.login, body, createdAt: new Date().toISOString() };
    this.find(repo, number).comments.push(comment);
    return comment;
  }

  async addLabels(repo: RepoId, number: number, labels: string[]): Promise<void> {
    this.enter(`add #${number} ${labels.join(',')}`);
    const issue = this.find(repo, number);
    for (const l of labels) if (!issue.labels.includes(l)) issue.labels.push(l);
  }

  async removeLabel(repo: RepoId, number: number, label: string): Promise<void> {
    this.enter(`remove #${number} ${label}`);
    const issue = this.find(repo, number);
    issue.labels = issue.labels.filter((l) => l !== label);
  }

  async currentUser(): Promise<string> {
    return this.login;
  }

  async permission(): Promise<string | undefined> {
    return undefined;
  }

  private unused(): never {
    throw new Error('not used by these tests');
  }

  getPull = () => this.unused();
  listPullFiles = () => this.unused();
  editComment = () => this.unused();
  startStopwatch = () => this.unused();
  stopStopwatch = () => this.unused();
  createPull = () => this.unused();
}
