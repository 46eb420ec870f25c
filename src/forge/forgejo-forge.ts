import { z } from 'zod';
import { forgeError, type ForgeErrorContext } from './forge-error.js';
import type { Forge, ForgeComment, ForgeIssue, ForgePull, LabelledItem, LabelledList, ListValidators, RepoId } from './forge.js';

export type ForgejoForgeOptions = ForgeErrorContext & {
  kind: 'forgejo' | 'gitea';
  /** Per request, including reading the answer. */
  timeoutMs?: number | undefined;
};

const DEFAULT_TIMEOUT_MS = 10_000;
/** Forgejo/Gitea cap pages at [api].MAX_RESPONSE_ITEMS, 50 by default. */
const PAGE_SIZE = 50;
const MAX_PULL_FILES = 300;
const MAX_LABEL_PAGES = 20;
/** Labelled issues read per poll at most: a label on thousands of issues costs a bounded number of calls. */
const MAX_LABELLED = 300;
/** Color of labels agentctl creates; old Gitea wants the "#". */
const NEW_LABEL_COLOR = '#ededed';

// Only the fields agentctl reads; everything else passes through untouched.
const user = z.looseObject({ login: z.string() }).nullish();
const label = z.looseObject({ id: z.number().int(), name: z.string() });
const issueSchema = z.looseObject({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  labels: z.array(label).nullish(),
  html_url: z.string(),
});
const commentSchema = z.looseObject({
  id: z.number().int(),
  body: z.string().nullish(),
  user,
  original_author: z.string().nullish(),
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
const errorBody = z.looseObject({ message: z.string() });

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface Answer {
  status: number;
  headers: Headers;
  data: unknown;
}

function toComment(c: z.infer<typeof commentSchema>): ForgeComment {
  return { id: c.id, author: c.user?.login || c.original_author || 'ghost', body: c.body ?? '', createdAt: c.created_at };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function networkDetail(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Forgejo and Gitea through their API v1, with plain fetch. */
export class ForgejoForge implements Forge {
  readonly kind: 'forgejo' | 'gitea';
  readonly key: string;
  private readonly ctx: ForgeErrorContext;
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(options: ForgejoForgeOptions) {
    this.kind = options.kind;
    this.key = options.key;
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.ctx = { key: options.key, kind: options.kind, apiUrl: this.base, tokenEnv: options.tokenEnv, token: options.token || undefined };
  }

  private repoPath(repo: RepoId): string {
    return `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`;
  }

  /** One request; statuses in `accept` count as answers, not failures. */
  private async send(method: Method, path: string, body?: unknown, accept: readonly number[] = [], extra: Record<string, string> = {}): Promise<Answer> {
    const call = `${method} ${path.split('?')[0] ?? path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'agentctl', ...extra };
    if (this.ctx.token !== undefined) headers.authorization = `token ${this.ctx.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw forgeError(this.ctx, call, { type: 'timeout', timeoutMs: this.timeoutMs }, error);
      throw forgeError(this.ctx, call, { type: 'network', detail: networkDetail(error) }, error);
    }
    const data = parseJson(text);
    if (response.ok || accept.includes(response.status)) return { status: response.status, headers: response.headers, data };
    const said = errorBody.safeParse(data);
    const detail = said.success ? said.data.message : typeof data === 'string' ? data : undefined;
    throw forgeError(this.ctx, call, { type: 'status', status: response.status, headers: response.headers, detail });
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

  private async get<S extends z.ZodType>(path: string, schema: S): Promise<{ value: z.infer<S>; headers: Headers }> {
    const answer = await this.send('GET', path);
    return { value: this.parse(schema, answer.data, `GET ${path.split('?')[0]}`), headers: answer.headers };
  }

  /** Pages of `path` until the total (X-Total-Count) or a short page, at most `max` items. */
  private async list<S extends z.ZodType>(path: string, item: S, max: number): Promise<z.infer<S>[]> {
    const items: z.infer<S>[] = [];
    for (let page = 1; items.length < max; page++) {
      const { value, headers } = await this.get(`${path}?page=${page}&limit=${PAGE_SIZE}`, z.array(item));
      items.push(...value);
      const total = Number(headers.get('x-total-count') ?? Number.NaN);
      const more = Number.isFinite(total) ? items.length < total : value.length >= PAGE_SIZE;
      if (value.length === 0 || !more) break;
    }
    return items.slice(0, max);
  }

  async currentUser(): Promise<string> {
    return (await this.get('/user', userSchema)).value.login;
  }

  /** RepoCollaboratorPermission; 403 (the token may not ask about others) and 404 (no such user) say nothing. */
  async permission(repo: RepoId, user: string): Promise<string | undefined> {
    const path = `${this.repoPath(repo)}/collaborators/${encodeURIComponent(user)}/permission`;
    const answer = await this.send('GET', path, undefined, [403, 404]);
    return answer.status === 200 ? this.parse(permissionSchema, answer.data, `GET ${path}`).permission : undefined;
  }

  async getIssue(repo: RepoId, number: number): Promise<ForgeIssue> {
    const { value } = await this.get(`${this.repoPath(repo)}/issues/${number}`, issueSchema);
    return { number: value.number, title: value.title, body: value.body ?? '', labels: (value.labels ?? []).map((l) => l.name), url: value.html_url };
  }

  async listComments(repo: RepoId, number: number, limit?: number): Promise<ForgeComment[]> {
    // Not paginated: the API answers every comment, oldest first.
    const { value } = await this.get(`${this.repoPath(repo)}/issues/${number}/comments`, z.array(commentSchema));
    const comments = value.map(toComment);
    return limit === undefined ? comments : comments.slice(-limit);
  }

  /** IssueGetComments with since=: the comments after it, bounded to the newest 100 (anyone may flood an issue with older ones). */
  async listCommentsSince(repo: RepoId, number: number, since: string): Promise<ForgeComment[]> {
    const { value } = await this.get(`${this.repoPath(repo)}/issues/${number}/comments?since=${encodeURIComponent(since)}`, z.array(commentSchema));
    return value.slice(-100).map(toComment);
  }

  async getPull(repo: RepoId, number: number): Promise<ForgePull> {
    const { value } = await this.get(`${this.repoPath(repo)}/pulls/${number}`, pullSchema);
    return {
      number: value.number,
      title: value.title,
      body: value.body ?? '',
      base: value.base.ref,
      head: value.head.ref,
      headSha: value.head.sha,
      url: value.html_url,
    };
  }

  async listPullFiles(repo: RepoId, number: number): Promise<string[]> {
    const files = await this.list(`${this.repoPath(repo)}/pulls/${number}/files`, fileSchema, MAX_PULL_FILES);
    return files.map((f) => f.filename);
  }

  async postComment(repo: RepoId, number: number, body: string): Promise<ForgeComment> {
    const path = `${this.repoPath(repo)}/issues/${number}/comments`;
    const answer = await this.send('POST', path, { body });
    return toComment(this.parse(commentSchema, answer.data, `POST ${path}`));
  }

  async editComment(repo: RepoId, commentId: number, body: string): Promise<ForgeComment> {
    const path = `${this.repoPath(repo)}/issues/comments/${commentId}`;
    const answer = await this.send('PATCH', path, { body });
    if (answer.status === 204) {
      // Forgejo answers 204 for comments that are events, not text.
      throw forgeError(this.ctx, `PATCH ${path}`, { type: 'invalid', detail: `HTTP 204 with no comment: ${commentId} is not a text comment` });
    }
    return toComment(this.parse(commentSchema, answer.data, `PATCH ${path}`));
  }

  private async repoLabels(repo: RepoId): Promise<Map<string, number>> {
    const labels = await this.list(`${this.repoPath(repo)}/labels`, label, PAGE_SIZE * MAX_LABEL_PAGES);
    return new Map(labels.map((l) => [l.name, l.id]));
  }

  async addLabels(repo: RepoId, number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    // Older Gitea takes only label IDs, so find them (and create the missing ones) first.
    const known = await this.repoLabels(repo);
    const ids: number[] = [];
    for (const name of new Set(labels)) {
      let id = known.get(name);
      if (id === undefined) {
        const path = `${this.repoPath(repo)}/labels`;
        const answer = await this.send('POST', path, { name, color: NEW_LABEL_COLOR });
        id = this.parse(label, answer.data, `POST ${path}`).id;
      }
      ids.push(id);
    }
    const path = `${this.repoPath(repo)}/issues/${number}/labels`;
    const answer = await this.send('POST', path, { labels: ids });
    this.parse(z.array(label), answer.data, `POST ${path}`);
  }

  async removeLabel(repo: RepoId, number: number, name: string): Promise<void> {
    const id = (await this.repoLabels(repo)).get(name);
    if (id === undefined) return;
    // 422: the label is gone meanwhile; 404 per the Forge contract: nothing to remove.
    await this.send('DELETE', `${this.repoPath(repo)}/issues/${number}/labels/${id}`, undefined, [404, 422]);
  }

  /**
   * ListIssues with labels=, type=issues|pulls and state=open, oldest first;
   * the first page is asked conditionally, and a 304 is "nothing changed".
   */
  async listLabelled(repo: RepoId, label: string, on: 'issues' | 'pull_request', validators: ListValidators = {}): Promise<LabelledList> {
    const items: LabelledItem[] = [];
    let fresh: ListValidators = {};
    const query = `state=open&type=${on === 'pull_request' ? 'pulls' : 'issues'}&labels=${encodeURIComponent(label)}`;
    for (let page = 1; items.length < MAX_LABELLED; page++) {
      const conditional: Record<string, string> = {};
      if (page === 1 && validators.etag !== undefined) conditional['if-none-match'] = validators.etag;
      if (page === 1 && validators.lastModified !== undefined) conditional['if-modified-since'] = validators.lastModified;
      const path = `${this.repoPath(repo)}/issues?${query}&page=${page}&limit=${PAGE_SIZE}`;
      const answer = await this.send('GET', path, undefined, [304], conditional);
      if (answer.status === 304) return { notModified: true };
      if (page === 1) fresh = { etag: answer.headers.get('etag') ?? undefined, lastModified: answer.headers.get('last-modified') ?? undefined };
      const value = this.parse(z.array(issueSchema.pick({ number: true, labels: true })), answer.data, `GET ${this.repoPath(repo)}/issues`);
      items.push(...value.map((i) => ({ number: i.number, labels: (i.labels ?? []).map((l) => l.name) })));
      const total = Number(answer.headers.get('x-total-count') ?? Number.NaN);
      if (value.length === 0 || (Number.isFinite(total) ? items.length >= total : value.length < PAGE_SIZE)) break;
    }
    // Oldest first, as GitHub answers with direction=asc: Forgejo lists the newest first.
    return { notModified: false, items: items.slice(0, MAX_LABELLED).sort((a, b) => a.number - b.number), validators: fresh };
  }

  /** 201 when started; 409 when this user's stopwatch already runs, which is what we wanted. */
  async startStopwatch(repo: RepoId, number: number): Promise<void> {
    await this.send('POST', `${this.repoPath(repo)}/issues/${number}/stopwatch/start`, undefined, [409]);
  }

  /** 201 when stopped (the time is recorded); 409 when no stopwatch runs. */
  async stopStopwatch(repo: RepoId, number: number): Promise<void> {
    await this.send('POST', `${this.repoPath(repo)}/issues/${number}/stopwatch/stop`, undefined, [409]);
  }

  async createPull(repo: RepoId, pull: { title: string; body: string; head: string; base: string }): Promise<{ number: number; url: string }> {
    const path = `${this.repoPath(repo)}/pulls`;
    const answer = await this.send('POST', path, { title: pull.title, body: pull.body, head: pull.head, base: pull.base });
    const created = this.parse(pullSchema.pick({ number: true, html_url: true }), answer.data, `POST ${path}`);
    return { number: created.number, url: created.html_url };
  }
}
