/**
 * A Forgejo/Gitea API v1 on 127.0.0.1 for tests: the paths (under /api/v1),
 * methods, status codes and JSON shapes of the swagger for the calls agentctl
 * makes, over an in-memory repo. Knobs make the next requests fail or hang.
 */
import type { ServerResponse } from 'node:http';
import { faults, hasToken, payloadOf, startForgeServer, type LoggedRequest } from './fake-http.js';

export type { LoggedRequest } from './fake-http.js';

export interface FjLabel {
  id: number;
  name: string;
  color: string;
}

export interface FjComment {
  id: number;
  body: string;
  user: string;
  created_at: string;
}

export interface FjIssue {
  number: number;
  title: string;
  body: string;
  /** Label ids. */
  labels: number[];
  comments: FjComment[];
}

export interface FjPull extends FjIssue {
  head: { ref: string; sha: string };
  base: { ref: string };
  files: string[];
}

export interface FjRepo {
  issues: FjIssue[];
  pulls: FjPull[];
  labels: FjLabel[];
  /** Running stopwatches of the token's user, by issue number. */
  stopwatches: Set<number>;
  /** Stopped stopwatches, i.e. tracked-time entries, by issue number. */
  trackedTimes: number[];
}

export interface FjState {
  /** When set, every request must carry `token <token>` (or Bearer). */
  token: string | undefined;
  /** Who the token belongs to: the author of new comments, GET /user. */
  login: string;
  /** Per owner/name: each collaborator's access mode ("read", "write", "admin", "owner"); anyone else has "none". */
  collaborators: Map<string, Map<string, string>>;
  repos: Map<string, FjRepo>;
  /** Adds (or returns) owner/name. */
  repo(fullName: string): FjRepo;
  /** Adds a label to the repo and returns its id. */
  label(fullName: string, name: string): number;
  /** The next this many label additions (POST .../issues/N/labels) are read and never answered: a watcher killed mid-claim. */
  hangLabelAdds: number;
}

/** 'rate-limited' is a 429 with Retry-After: RATE_LIMIT_SECONDS, as a reverse proxy in front of Forgejo answers. */
export type FjFailure = 401 | 403 | 404 | 409 | 422 | 500 | 502 | 503 | 'rate-limited';

export const RATE_LIMIT_SECONDS = 42;
/** Forgejo's [api] DEFAULT_PAGING_NUM and MAX_RESPONSE_ITEMS. */
const DEFAULT_PAGE = 30;
const MAX_PAGE = 50;

export interface FakeForgejo {
  /** Web URL, e.g. http://127.0.0.1:4321; the API is at `${url}/api/v1`. */
  url: string;
  state: FjState;
  requests: LoggedRequest[];
  failNext(failure: FjFailure, count?: number): void;
  /** The next `count` requests are read and never answered. */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Starts the server on a free port of 127.0.0.1. */
export async function start(): Promise<FakeForgejo> {
  let nextId = 1_000_000;
  const repos = new Map<string, FjRepo>();
  const state: FjState = {
    token: undefined,
    login: 'agentctl-bot',
    collaborators: new Map(),
    repos,
    hangLabelAdds: 0,
    repo(fullName) {
      let repo = repos.get(fullName);
      if (repo === undefined) repos.set(fullName, (repo = { issues: [], pulls: [], labels: [], stopwatches: new Set(), trackedTimes: [] }));
      return repo;
    },
    label(fullName, name) {
      const id = nextId++;
      state.repo(fullName).labels.push({ id, name, color: 'e11d21' });
      return id;
    },
  };
  const requests: LoggedRequest[] = [];
  const knobs = faults<FjFailure>();
  let web = '';

  const apiError = (status: number, message: string) => new Reply(status, { message, url: `${web}/api/swagger` });
  const notFound = () => new Reply(404, { errors: ['The target couldn\'t be found.'], message: 'The target couldn\'t be found.', url: `${web}/api/swagger` });

  function failureReply(failure: FjFailure): Reply {
    switch (failure) {
      case 401:
        return apiError(401, 'token is required');
      case 403:
        return apiError(403, 'user should have specific permission or be a site admin');
      case 'rate-limited':
        return new Reply(429, 'Too Many Requests', { 'retry-after': String(RATE_LIMIT_SECONDS) });
      case 404:
        return notFound();
      case 409:
        return apiError(409, 'conflict');
      case 422:
        return apiError(422, 'validation failed');
      case 500:
        return apiError(500, 'internal server error');
      default:
        return new Reply(failure, `<html><body>${failure} Bad Gateway</body></html>`);
    }
  }

  const user = (login: string) => ({ id: 1, login, login_name: '', full_name: '', email: `${login}@noreply.localhost`, avatar_url: '', username: login });
  const labelJson = (full: string, l: FjLabel) => ({
    id: l.id,
    name: l.name,
    exclusive: false,
    is_archived: false,
    color: l.color,
    description: '',
    url: `${web}/api/v1/repos/${full}/labels/${l.id}`,
  });
  const issueJson = (full: string, repo: FjRepo, i: FjIssue) => ({
    id: i.number + 5000,
    url: `${web}/api/v1/repos/${full}/issues/${i.number}`,
    html_url: `${web}/${full}/${'head' in i ? 'pulls' : 'issues'}/${i.number}`,
    number: i.number,
    user: user('alice'),
    original_author: '',
    original_author_id: 0,
    title: i.title,
    body: i.body,
    ref: '',
    assets: [],
    labels: i.labels.map((id) => repo.labels.find((l) => l.id === id)).filter((l) => l !== undefined).map((l) => labelJson(full, l)),
    milestone: null,
    assignee: null,
    assignees: null,
    state: 'open',
    is_locked: false,
    comments: i.comments.length,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-02T00:00:00Z',
    closed_at: null,
    due_date: null,
    pull_request: 'head' in i ? { merged: false, merged_at: null, draft: false, html_url: `${web}/${full}/pulls/${i.number}` } : null,
    repository: { id: 1, name: full.split('/')[1], owner: full.split('/')[0], full_name: full },
    pin_order: 0,
  });
  const commentJson = (full: string, issue: FjIssue, c: FjComment) => ({
    id: c.id,
    html_url: `${web}/${full}/issues/${issue.number}#issuecomment-${c.id}`,
    pull_request_url: '',
    issue_url: `${web}/${full}/issues/${issue.number}`,
    user: user(c.user),
    original_author: '',
    original_author_id: 0,
    body: c.body,
    assets: [],
    created_at: c.created_at,
    updated_at: c.created_at,
  });
  const branch = (full: string, ref: string, sha: string) => ({ label: ref, ref, sha, repo_id: 1, repo: { id: 1, full_name: full } });
  const pullJson = (full: string, p: FjPull) => ({
    id: p.number + 9000,
    url: `${web}/api/v1/repos/${full}/pulls/${p.number}`,
    number: p.number,
    user: user(state.login),
    title: p.title,
    body: p.body,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: null,
    state: 'open',
    draft: false,
    is_locked: false,
    comments: p.comments.length,
    html_url: `${web}/${full}/pulls/${p.number}`,
    diff_url: `${web}/${full}/pulls/${p.number}.diff`,
    patch_url: `${web}/${full}/pulls/${p.number}.patch`,
    mergeable: true,
    merged: false,
    merged_at: null,
    merge_commit_sha: null,
    merged_by: null,
    base: branch(full, p.base.ref, '0'.repeat(40)),
    head: branch(full, p.head.ref, p.head.sha),
    merge_base: '0'.repeat(40),
    due_date: null,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-02T00:00:00Z',
    closed_at: null,
  });

  /** ?page & limit the Forgejo way, with X-Total-Count. */
  const paginate = <T>(items: T[], url: URL): { items: T[]; headers: Record<string, string> } => {
    const limit = Math.min(MAX_PAGE, Math.max(1, Number(url.searchParams.get('limit') ?? DEFAULT_PAGE)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    return { items: items.slice((page - 1) * limit, page * limit), headers: { 'x-total-count': String(items.length), 'access-control-expose-headers': 'X-Total-Count' } };
  };

  function route(method: string, url: URL, body: unknown): Reply {
    // The token's own user (Forgejo: GET /api/v1/user).
    if (url.pathname === '/api/v1/user' && method === 'GET') return new Reply(200, user(state.login));
    const m = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (m === null) return notFound();
    const full = `${decodeURIComponent(m[1] as string)}/${decodeURIComponent(m[2] as string)}`;
    const repo = repos.get(full);
    if (repo === undefined) return notFound();
    const rest = m[3] as string;
    const findIssue = (n: string): FjIssue | undefined => [...repo.issues, ...repo.pulls].find((i) => i.number === Number(n));
    const field = (key: string) => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined);
    let r: RegExpExecArray | null;

    // RepoCollaboratorPermission: the user's access mode on the repo, whether or not they are a collaborator.
    if ((r = /^\/collaborators\/([^/]+)\/permission$/.exec(rest)) && method === 'GET') {
      const who = decodeURIComponent(r[1] as string);
      const permission = who === state.login ? 'owner' : (state.collaborators.get(full)?.get(who) ?? 'none');
      return new Reply(200, { permission, role_name: permission, user: user(who) });
    }
    // ListIssues: state=open by default, type=issues|pulls, labels= names (comma-separated, all must match), newest first.
    if (rest === '/issues' && method === 'GET') {
      const names = (url.searchParams.get('labels') ?? '').split(',').filter((l) => l !== '');
      const ids = names.map((n) => repo.labels.find((l) => l.name === n)?.id);
      if (ids.some((id) => id === undefined)) return new Reply(200, [], { 'x-total-count': '0' });
      const type = url.searchParams.get('type');
      const pool = type === 'pulls' ? repo.pulls : type === 'issues' ? repo.issues : [...repo.issues, ...repo.pulls];
      const all = pool.filter((i) => ids.every((id) => i.labels.includes(id as number))).sort((a, b) => b.number - a.number);
      const page = paginate(all, url);
      return new Reply(200, page.items.map((i) => issueJson(full, repo, i)), page.headers);
    }
    if ((r = /^\/issues\/(\d+)$/.exec(rest)) && method === 'GET') {
      const issue = findIssue(r[1] as string);
      return issue === undefined ? notFound() : new Reply(200, issueJson(full, repo, issue));
    }
    if ((r = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = findIssue(r[1] as string);
      if (issue === undefined) return notFound();
      if (method === 'GET') {
        // since= keeps comments updated at or after it.
        const since = url.searchParams.get('since');
        const shown = since === null ? issue.comments : issue.comments.filter((c) => Date.parse(c.created_at) >= Date.parse(since));
        return new Reply(200, shown.map((c) => commentJson(full, issue, c)), { 'x-total-count': String(shown.length) });
      }
      if (method === 'POST') {
        if (typeof field('body') !== 'string') return apiError(422, '[Body]: Required');
        const c: FjComment = { id: nextId++, body: field('body') as string, user: state.login, created_at: new Date().toISOString() };
        issue.comments.push(c);
        return new Reply(201, commentJson(full, issue, c));
      }
    }
    if ((r = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      for (const issue of [...repo.issues, ...repo.pulls]) {
        const c = issue.comments.find((x) => x.id === Number(r?.[1]));
        if (c === undefined) continue;
        if (typeof field('body') !== 'string') return apiError(422, '[Body]: Required');
        c.body = field('body') as string;
        return new Reply(200, commentJson(full, issue, c));
      }
      return notFound();
    }
    if (rest === '/labels' && method === 'GET') {
      const page = paginate(repo.labels, url);
      return new Reply(200, page.items.map((l) => labelJson(full, l)), page.headers);
    }
    if (rest === '/labels' && method === 'POST') {
      const [name, color] = [field('name'), field('color')];
      if (typeof name !== 'string' || name.trim() === '') return apiError(422, '[Name]: Required');
      if (typeof color !== 'string' || !/^#?[0-9a-fA-F]{6}$/.test(color)) return apiError(422, 'invalid color');
      const l: FjLabel = { id: nextId++, name, color: color.replace(/^#/, '') };
      repo.labels.push(l);
      return new Reply(201, labelJson(full, l));
    }
    if ((r = /^\/issues\/(\d+)\/labels$/.exec(rest)) && method === 'POST') {
      const issue = findIssue(r[1] as string);
      if (issue === undefined) return notFound();
      const wanted = field('labels');
      if (!Array.isArray(wanted)) return apiError(422, '[Labels]: Required');
      // Numbers are label ids; newer Forgejo/Gitea also take names. Unknown ones are skipped.
      if (wanted.some((x) => typeof x === 'number') && wanted.some((x) => typeof x === 'string')) return apiError(400, 'labels should be an array of strings or integers');
      for (const want of wanted) {
        const l = repo.labels.find((x) => (typeof want === 'number' ? x.id === want : x.name === want));
        if (l !== undefined && !issue.labels.includes(l.id)) issue.labels.push(l.id);
      }
      return new Reply(200, issueJson(full, repo, issue).labels);
    }
    if ((r = /^\/issues\/(\d+)\/labels\/([^/]+)$/.exec(rest)) && method === 'DELETE') {
      const issue = findIssue(r[1] as string);
      if (issue === undefined) return notFound();
      const id = decodeURIComponent(r[2] as string);
      const l = repo.labels.find((x) => x.name === id) ?? repo.labels.find((x) => String(x.id) === id);
      if (l === undefined) return apiError(422, `label does not exist [id: ${id}]`);
      issue.labels = issue.labels.filter((x) => x !== l.id);
      return new Reply(204, undefined);
    }
    if ((r = /^\/issues\/(\d+)\/stopwatch\/(start|stop)$/.exec(rest)) && method === 'POST') {
      const issue = findIssue(r[1] as string);
      if (issue === undefined) return notFound();
      const running = repo.stopwatches.has(issue.number);
      if (r[2] === 'start') {
        if (running) return apiError(409, 'cannot start a stopwatch again if it already exists');
        repo.stopwatches.add(issue.number);
      } else {
        if (!running) return apiError(409, 'cannot stop a non-existent stopwatch');
        repo.stopwatches.delete(issue.number);
        repo.trackedTimes.push(issue.number);
      }
      return new Reply(201, undefined);
    }
    if ((r = /^\/pulls\/(\d+)$/.exec(rest)) && method === 'GET') {
      const pull = repo.pulls.find((p) => p.number === Number(r?.[1]));
      return pull === undefined ? notFound() : new Reply(200, pullJson(full, pull));
    }
    if ((r = /^\/pulls\/(\d+)\/files$/.exec(rest)) && method === 'GET') {
      const pull = repo.pulls.find((p) => p.number === Number(r?.[1]));
      if (pull === undefined) return notFound();
      const page = paginate(pull.files, url);
      return new Reply(
        200,
        page.items.map((filename) => ({
          filename,
          status: 'changed',
          additions: 1,
          deletions: 0,
          changes: 1,
          html_url: `${web}/${full}/src/commit/${pull.head.sha}/${filename}`,
          contents_url: `${web}/api/v1/repos/${full}/contents/${filename}?ref=${pull.head.sha}`,
          raw_url: `${web}/${full}/raw/commit/${pull.head.sha}/${filename}`,
        })),
        page.headers,
      );
    }
    if (rest === '/pulls' && method === 'POST') {
      const [title, head, baseRef, prBody] = [field('title'), field('head'), field('base'), field('body')];
      if (typeof head !== 'string' || typeof baseRef !== 'string' || typeof title !== 'string') return apiError(422, '[Head]: Required');
      const existing = repo.pulls.find((p) => p.head.ref === head && p.base.ref === baseRef);
      if (existing !== undefined) {
        return apiError(409, `pull request already exists for these targets [id: ${existing.number + 9000}, issue_id: ${existing.number + 5000}, head_repo_id: 1, base_repo_id: 1, head_branch: ${head}, base_branch: ${baseRef}]`);
      }
      const number = Math.max(0, ...repo.issues.map((i) => i.number), ...repo.pulls.map((p) => p.number)) + 1;
      const pull: FjPull = { number, title, body: typeof prBody === 'string' ? prBody : '', labels: [], comments: [], head: { ref: head, sha: 'f'.repeat(40) }, base: { ref: baseRef }, files: [] };
      repo.pulls.push(pull);
      return new Reply(201, pullJson(full, pull));
    }
    return notFound();
  }

  function send(res: ServerResponse, reply: Reply): void {
    const payload = payloadOf(reply.body);
    const type = reply.body === undefined ? {} : { 'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json;charset=utf-8' };
    res.writeHead(reply.status, { ...type, 'x-content-type-options': 'nosniff', ...reply.headers });
    res.end(payload);
  }

  const http = await startForgeServer(
    requests,
    knobs,
    (res, failure) => send(res, failureReply(failure)),
    (req, res, url, body) => {
      if (state.token !== undefined && !hasToken(req, state.token)) return send(res, failureReply(401));
      if (state.hangLabelAdds > 0 && req.method === 'POST' && /\/issues\/\d+\/labels$/.test(url.pathname)) {
        state.hangLabelAdds -= 1;
        return;
      }
      send(res, route(req.method ?? 'GET', url, body));
    },
  );
  web = http.url;

  return {
    url: web,
    state,
    requests,
    failNext: knobs.failNext,
    hangNext: knobs.hangNext,
    close: http.close,
  };
}
