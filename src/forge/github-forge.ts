import type { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { AgentctlError, ExitCode, isAgentctlError } from '../core/errors.js';
import { forgeError, type ForgeErrorContext } from './forge-error.js';
import type { Forge, ForgeComment, ForgeIssue, ForgePull, LabelledItem, LabelledList, ListValidators, RepoId } from './forge.js';

export type GitHubForgeOptions = Omit<ForgeErrorContext, 'kind'> & {
  /** Per request, including reading the answer. */
  timeoutMs?: number | undefined;
};

const DEFAULT_TIMEOUT_MS = 10_000;
const PER_PAGE = 100;
const MAX_COMMENT_PAGES = 10;
const MAX_PULL_FILES = 300;
/** Labelled issues read per poll at most: a label on thousands of issues costs a bounded number of calls. */
export const MAX_LABELLED = 300;

// Only the fields agentctl reads; everything else passes through untouched.
const issueSchema = z.looseObject({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  labels: z.array(z.union([z.string(), z.looseObject({ name: z.string().nullish() })])),
  html_url: z.string(),
});
const listedSchema = z.looseObject({
  number: z.number().int(),
  labels: issueSchema.shape.labels,
  pull_request: z.unknown().optional(),
});
const commentSchema = z.looseObject({
  id: z.number().int(),
  body: z.string().nullish(),
  user: z.looseObject({ login: z.string() }).nullish(),
  created_at: z.string(),
});
const pullSchema = z.looseObject({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  head: z.looseObject({ ref: z.string(), sha: z.string() }),
  base: z.looseObject({ ref: z.string() }),
});
const fileSchema = z.looseObject({ filename: z.string() });
const userSchema = z.looseObject({ login: z.string() });
const permissionSchema = z.looseObject({ permission: z.string() });
const errorBody = z.looseObject({
  message: z.string(),
  errors: z.array(z.union([z.string(), z.looseObject({ message: z.string().optional(), field: z.string().optional(), code: z.string().optional() })])).optional(),
});

/** "Validation Failed: A pull request already exists for acme:fix." from GitHub's error body. */
function errorDetail(data: unknown): string | undefined {
  const said = errorBody.safeParse(data);
  if (!said.success) return typeof data === 'string' ? data : undefined;
  const details = (said.data.errors ?? [])
    .map((e) => (typeof e === 'string' ? e : (e.message ?? [e.field, e.code].filter(Boolean).join(' '))))
    .filter((e) => e !== '');
  return details.length === 0 ? said.data.message : `${said.data.message}: ${details.join('; ')}`;
}

/** What octokit throws: a RequestError (name "HttpError"), with a response when the server answered. */
interface OctokitFailure {
  name?: string;
  status?: number;
  response?: { headers: Record<string, string | number | undefined>; data: unknown };
  cause?: unknown;
  message?: string;
}

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

function toComment(c: z.infer<typeof commentSchema>): ForgeComment {
  return { id: c.id, author: c.user?.login ?? 'ghost', body: c.body ?? '', createdAt: c.created_at };
}

function stringHeader(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The page number of rel="last" in a Link header. */
function lastPage(link: string | undefined): number | undefined {
  const match = /<[^>]*[?&]page=(\d+)[^>]*>;\s*rel="last"/.exec(link ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** GitHub (and GitHub Enterprise Server) through @octokit/rest, without retries or throttling. */
export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly key: string;

  private constructor(
    private readonly octokit: Octokit,
    private readonly ctx: ForgeErrorContext,
    private readonly timeoutMs: number,
  ) {
    this.key = ctx.key;
  }

  /** Loads octokit only when a GitHub forge is actually used. */
  static async create(options: GitHubForgeOptions): Promise<GitHubForge> {
    const { Octokit } = await import('@octokit/rest');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const baseUrl = options.apiUrl.replace(/\/+$/, '');
    // octokit has no timeout of its own. The body is read here, inside the same
    // deadline, so a server that stalls mid-answer times out instead of parsing as "".
    const timedFetch: typeof fetch = async (input, init) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const response = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
      const body = await response.arrayBuffer();
      const empty = response.status === 204 || response.status === 205 || response.status === 304;
      return new Response(empty ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
    const token = options.token || undefined;
    const octokit = new Octokit({ auth: token, baseUrl, userAgent: 'agentctl', log: silent, request: { fetch: timedFetch } });
    return new GitHubForge(octokit, { key: options.key, kind: 'github', apiUrl: baseUrl, tokenEnv: options.tokenEnv, token }, timeoutMs);
  }

  private failure(call: string, error: unknown): AgentctlError {
    if (isAgentctlError(error)) return error;
    const e = error as OctokitFailure;
    if (e.response !== undefined && typeof e.status === 'number') {
      return forgeError(this.ctx, call, { type: 'status', status: e.status, headers: e.response.headers, detail: errorDetail(e.response.data) });
    }
    const cause = e.cause ?? error;
    if (isTimeout(cause) || isTimeout(error)) return forgeError(this.ctx, call, { type: 'timeout', timeoutMs: this.timeoutMs }, cause);
    if (e.name !== 'HttpError' && !(cause instanceof TypeError)) throw error;
    const inner = (cause as { cause?: unknown }).cause;
    const detail = inner instanceof Error && inner.message !== '' ? inner.message : (e.message ?? String(error));
    return forgeError(this.ctx, call, { type: 'network', detail }, cause);
  }

  /** Run one octokit call; statuses in `tolerate` resolve to undefined instead of failing. */
  private async run<T>(call: string, fn: () => Promise<T>, tolerate: readonly number[] = []): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (tolerate.includes((error as OctokitFailure).status ?? -1) && (error as OctokitFailure).response !== undefined) return undefined;
      throw this.failure(call, error);
    }
  }

  private async must<T>(call: string, fn: () => Promise<T>): Promise<T> {
    return (await this.run(call, fn)) as T;
  }

  private parse<S extends z.ZodType>(schema: S, data: unknown, call: string): z.infer<S> {
    const result = schema.safeParse(data);
    if (result.success) return result.data;
    const detail = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`)
      .join('; ');
    throw forgeError(this.ctx, call, { type: 'invalid', detail });
  }

  private repoPath(repo: RepoId): string {
    return `/repos/${repo.owner}/${repo.repo}`;
  }

  async getIssue(repo: RepoId, number: number): Promise<ForgeIssue> {
    const call = `GET ${this.repoPath(repo)}/issues/${number}`;
    const { data } = await this.must(call, () => this.octokit.rest.issues.get({ owner: repo.owner, repo: repo.repo, issue_number: number }));
    const issue = this.parse(issueSchema, data, call);
    const labels = issue.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== '');
    return { number: issue.number, title: issue.title, body: issue.body ?? '', labels, url: issue.html_url };
  }

  async listComments(repo: RepoId, number: number, limit?: number): Promise<ForgeComment[]> {
    const call = `GET ${this.repoPath(repo)}/issues/${number}/comments`;
    const page = async (p: number) => {
      const response = await this.must(call, () =>
        this.octokit.rest.issues.listComments({ owner: repo.owner, repo: repo.repo, issue_number: number, per_page: PER_PAGE, page: p }),
      );
      return { comments: this.parse(z.array(commentSchema), response.data, call).map(toComment), link: response.headers.link };
    };
    // Oldest first, so the newest are on the last pages: read backwards from rel="last".
    const first = await page(1);
    const want = limit ?? Number.POSITIVE_INFINITY;
    const chunks: ForgeComment[][] = [];
    let count = 0;
    let p = lastPage(first.link) ?? 1;
    for (; p > 1 && count < want && chunks.length < MAX_COMMENT_PAGES; p--) {
      const { comments } = await page(p);
      chunks.unshift(comments);
      count += comments.length;
    }
    if (p === 1 && count < want) chunks.unshift(first.comments);
    const all = chunks.flat();
    return limit === undefined ? all : all.slice(-limit);
  }

  /**
   * "List issue comments" with since=: one page, enough to tell whether anyone
   * replied. Oldest first, so past one full page (anyone may flood an issue
   * with comments) the newest are on rel="last", read instead.
   */
  async listCommentsSince(repo: RepoId, number: number, since: string): Promise<ForgeComment[]> {
    const call = `GET ${this.repoPath(repo)}/issues/${number}/comments`;
    const page = async (p: number) => {
      const response = await this.must(call, () => this.octokit.rest.issues.listComments({ owner: repo.owner, repo: repo.repo, issue_number: number, since, per_page: PER_PAGE, page: p }));
      return { comments: this.parse(z.array(commentSchema), response.data, call).map(toComment), link: response.headers.link };
    };
    const first = await page(1);
    const last = lastPage(first.link);
    return last === undefined || last <= 1 ? first.comments : (await page(last)).comments;
  }

  async getPull(repo: RepoId, number: number): Promise<ForgePull> {
    const call = `GET ${this.repoPath(repo)}/pulls/${number}`;
    const { data } = await this.must(call, () => this.octokit.rest.pulls.get({ owner: repo.owner, repo: repo.repo, pull_number: number }));
    const pull = this.parse(pullSchema, data, call);
    return { number: pull.number, title: pull.title, body: pull.body ?? '', base: pull.base.ref, head: pull.head.ref, headSha: pull.head.sha, url: pull.html_url };
  }

  async listPullFiles(repo: RepoId, number: number): Promise<string[]> {
    const call = `GET ${this.repoPath(repo)}/pulls/${number}/files`;
    const files: string[] = [];
    for (let p = 1; files.length < MAX_PULL_FILES; p++) {
      const { data } = await this.must(call, () =>
        this.octokit.rest.pulls.listFiles({ owner: repo.owner, repo: repo.repo, pull_number: number, per_page: PER_PAGE, page: p }),
      );
      const page = this.parse(z.array(fileSchema), data, call);
      files.push(...page.map((f) => f.filename));
      if (page.length < PER_PAGE) break;
    }
    return files.slice(0, MAX_PULL_FILES);
  }

  async postComment(repo: RepoId, number: number, body: string): Promise<ForgeComment> {
    const call = `POST ${this.repoPath(repo)}/issues/${number}/comments`;
    const { data } = await this.must(call, () => this.octokit.rest.issues.createComment({ owner: repo.owner, repo: repo.repo, issue_number: number, body }));
    return toComment(this.parse(commentSchema, data, call));
  }

  async editComment(repo: RepoId, commentId: number, body: string): Promise<ForgeComment> {
    const call = `PATCH ${this.repoPath(repo)}/issues/comments/${commentId}`;
    const { data } = await this.must(call, () => this.octokit.rest.issues.updateComment({ owner: repo.owner, repo: repo.repo, comment_id: commentId, body }));
    return toComment(this.parse(commentSchema, data, call));
  }

  async currentUser(): Promise<string> {
    const call = 'GET /user';
    const { data } = await this.must(call, () => this.octokit.rest.users.getAuthenticated());
    return this.parse(userSchema, data, call).login;
  }

  /** "Get repository permissions for a user"; 404 is a user GitHub does not know. */
  async permission(repo: RepoId, user: string): Promise<string | undefined> {
    const call = `GET ${this.repoPath(repo)}/collaborators/${user}/permission`;
    const answer = await this.run(call, () => this.octokit.rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.repo, username: user }), [404]);
    return answer === undefined ? undefined : this.parse(permissionSchema, answer.data, call).permission;
  }

  /**
   * "List repository issues" with labels= and state=open, oldest first. It
   * answers PRs too (with a pull_request key), which `on` keeps or drops.
   * The first page is asked conditionally; a 304 is "nothing changed".
   */
  async listLabelled(repo: RepoId, label: string, on: 'issues' | 'pull_request', validators: ListValidators = {}): Promise<LabelledList> {
    const call = `GET ${this.repoPath(repo)}/issues`;
    const items: LabelledItem[] = [];
    let fresh: ListValidators = {};
    for (let p = 1; items.length < MAX_LABELLED; p++) {
      const headers: Record<string, string> = {};
      if (p === 1 && validators.etag !== undefined) headers['if-none-match'] = validators.etag;
      if (p === 1 && validators.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified;
      const answer = await this.run(
        call,
        () => this.octokit.rest.issues.listForRepo({ owner: repo.owner, repo: repo.repo, labels: label, state: 'open', sort: 'created', direction: 'asc', per_page: PER_PAGE, page: p, headers }),
        [304],
      );
      if (answer === undefined) return { notModified: true };
      if (p === 1) fresh = { etag: stringHeader(answer.headers.etag), lastModified: stringHeader(answer.headers['last-modified']) };
      const page = this.parse(z.array(listedSchema), answer.data, call);
      for (const issue of page) {
        if ((issue.pull_request !== undefined && issue.pull_request !== null) !== (on === 'pull_request')) continue;
        items.push({ number: issue.number, labels: issue.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((l) => l !== '') });
      }
      if (page.length < PER_PAGE) break;
    }
    return { notModified: false, items: items.slice(0, MAX_LABELLED), validators: fresh };
  }

  /** GitHub creates labels that do not exist yet. An empty list would clear them all, so it sends nothing. */
  async addLabels(repo: RepoId, number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    const call = `POST ${this.repoPath(repo)}/issues/${number}/labels`;
    await this.must(call, () => this.octokit.rest.issues.addLabels({ owner: repo.owner, repo: repo.repo, issue_number: number, labels: [...new Set(labels)] }));
  }

  /** 404 means the issue does not have the label. */
  async removeLabel(repo: RepoId, number: number, label: string): Promise<void> {
    const call = `DELETE ${this.repoPath(repo)}/issues/${number}/labels/${encodeURIComponent(label)}`;
    await this.run(call, () => this.octokit.rest.issues.removeLabel({ owner: repo.owner, repo: repo.repo, issue_number: number, name: label }), [404]);
  }

  private noStopwatch(): Promise<never> {
    return Promise.reject(
      new AgentctlError('unsupported', `forge ${this.key} (github) has no issue stopwatch`, {
        exitCode: ExitCode.forge,
        hint: 'GitHub has no time tracking; only Forgejo and Gitea forges support stopwatches',
      }),
    );
  }

  startStopwatch(_repo: RepoId, _number: number): Promise<void> {
    return this.noStopwatch();
  }

  stopStopwatch(_repo: RepoId, _number: number): Promise<void> {
    return this.noStopwatch();
  }

  async createPull(repo: RepoId, pull: { title: string; body: string; head: string; base: string }): Promise<{ number: number; url: string }> {
    const call = `POST ${this.repoPath(repo)}/pulls`;
    const { data } = await this.must(call, () =>
      this.octokit.rest.pulls.create({ owner: repo.owner, repo: repo.repo, title: pull.title, body: pull.body, head: pull.head, base: pull.base }),
    );
    const created = this.parse(pullSchema.pick({ number: true, html_url: true }), data, call);
    return { number: created.number, url: created.html_url };
  }
}
