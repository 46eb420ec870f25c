/**
 * A GitHub REST API on 127.0.0.1 for tests: the paths, methods, status codes
 * and JSON shapes of api.github.com for the calls agentctl makes, over an
 * in-memory repo. Knobs make the next requests fail or hang.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { faults, hasToken, payloadOf, startForgeServer, type LoggedRequest } from './fake-http.js';

export type { LoggedRequest } from './fake-http.js';

export interface GhLabel {
  id: number;
  name: string;
  color: string;
}

export interface GhComment {
  id: number;
  body: string;
  user: string;
  created_at: string;
}

export interface GhIssue {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  comments: GhComment[];
}

export interface GhPull extends GhIssue {
  head: { ref: string; sha: string };
  base: { ref: string };
  files: string[];
}

export interface GhRepo {
  issues: GhIssue[];
  pulls: GhPull[];
  labels: GhLabel[];
}

export interface GhState {
  /** When set, every request must carry `token <token>` (or Bearer). */
  token: string | undefined;
  /** Who the token belongs to: the author of new comments, GET /user. */
  login: string;
  /** Per owner/name: each collaborator's permission ("read", "triage", "write", "maintain", "admin"); anyone else has "none". */
  collaborators: Map<string, Map<string, string>>;
  repos: Map<string, GhRepo>;
  /** Adds (or returns) owner/name. */
  repo(fullName: string): GhRepo;
  /** The next this many label additions (POST .../issues/N/labels) are read and never answered: a watcher killed mid-claim. */
  hangLabelAdds: number;
}

/** 'rate-limited' is the primary rate limit: 403 with x-ratelimit-remaining 0 and a reset RATE_LIMIT_SECONDS away. */
export type GhFailure = 401 | 403 | 404 | 422 | 500 | 502 | 503 | 'rate-limited';

export const RATE_LIMIT_SECONDS = 42;

export interface FakeGitHub {
  /** API base, e.g. http://127.0.0.1:4321; also serves as the web URL in html_url. */
  url: string;
  state: GhState;
  requests: LoggedRequest[];
  failNext(failure: GhFailure, count?: number): void;
  /** The next `count` requests are read and never answered. */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

const DOCS = 'https://docs.github.com/rest';

class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const notFound = () => new Reply(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });

function failureReply(failure: GhFailure): Reply {
  switch (failure) {
    case 401:
      return new Reply(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    case 403:
      return new Reply(
        403,
        { message: 'Resource not accessible by personal access token', documentation_url: `${DOCS}/issues/comments#create-an-issue-comment`, status: '403' },
        { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' },
      );
    case 'rate-limited':
      return new Reply(
        403,
        {
          message: "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
          status: '403',
        },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + RATE_LIMIT_SECONDS) },
      );
    case 404:
      return notFound();
    case 422:
      return new Reply(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'invalid', field: 'body' }], documentation_url: DOCS, status: '422' });
    default:
      return new Reply(failure, failure === 500 ? { message: 'Server Error' } : `<html><body><h1>${failure}</h1>Unicorn!</body></html>`);
  }
}

function newRepo(): GhRepo {
  return { issues: [], pulls: [], labels: [] };
}

/** Starts the server on a free port of 127.0.0.1. */
export async function start(): Promise<FakeGitHub> {
  let nextId = 1_000_000;
  const repos = new Map<string, GhRepo>();
  const state: GhState = {
    token: undefined,
    login: 'agentctl-bot',
    collaborators: new Map(),
    repos,
    hangLabelAdds: 0,
    repo(fullName) {
      let repo = repos.get(fullName);
      if (repo === undefined) repos.set(fullName, (repo = newRepo()));
      return repo;
    },
  };
  const requests: LoggedRequest[] = [];
  const knobs = faults<GhFailure>();
  let base = '';

  const user = (login: string) => ({ login, id: 1, node_id: 'MDQ6VXNlcjE=', type: 'User', site_admin: false, url: `${base}/users/${login}` });
  const labelJson = (full: string, l: GhLabel) => ({
    id: l.id,
    node_id: `LA_${l.id}`,
    url: `${base}/repos/${full}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    default: false,
    description: null,
  });
  const labelFor = (repo: GhRepo, name: string) => {
    let l = repo.labels.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (l === undefined) repo.labels.push((l = { id: nextId++, name, color: 'ededed' }));
    return l;
  };
  const issueJson = (full: string, repo: GhRepo, i: GhIssue) => ({
    id: i.number + 5000,
    node_id: `I_${i.number}`,
    url: `${base}/repos/${full}/issues/${i.number}`,
    html_url: `${base}/${full}/${'head' in i ? 'pull' : 'issues'}/${i.number}`,
    number: i.number,
    state: 'open',
    title: i.title,
    body: i.body,
    user: user('octocat'),
    labels: i.labels.map((n) => labelJson(full, labelFor(repo, n))),
    assignee: null,
    assignees: [],
    locked: false,
    comments: i.comments.length,
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-02T00:00:00Z',
    closed_at: null,
    author_association: 'OWNER',
    ...('head' in i ? { pull_request: { url: `${base}/repos/${full}/pulls/${i.number}` } } : {}),
  });
  const commentJson = (full: string, issue: GhIssue, c: GhComment) => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${base}/repos/${full}/issues/comments/${c.id}`,
    html_url: `${base}/${full}/issues/${issue.number}#issuecomment-${c.id}`,
    issue_url: `${base}/repos/${full}/issues/${issue.number}`,
    body: c.body,
    user: user(c.user),
    created_at: c.created_at,
    updated_at: c.created_at,
    author_association: 'OWNER',
  });
  const pullJson = (full: string, p: GhPull) => ({
    id: p.number + 9000,
    node_id: `PR_${p.number}`,
    url: `${base}/repos/${full}/pulls/${p.number}`,
    html_url: `${base}/${full}/pull/${p.number}`,
    diff_url: `${base}/${full}/pull/${p.number}.diff`,
    number: p.number,
    state: 'open',
    locked: false,
    title: p.title,
    body: p.body,
    user: user(state.login),
    labels: [],
    draft: false,
    merged: false,
    mergeable: null,
    head: { label: `${full.split('/')[0]}:${p.head.ref}`, ref: p.head.ref, sha: p.head.sha, user: user('octocat'), repo: null },
    base: { label: `${full.split('/')[0]}:${p.base.ref}`, ref: p.base.ref, sha: '0'.repeat(40), user: user('octocat'), repo: null },
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-02T00:00:00Z',
  });

  /** ?page & per_page the GitHub way (default 30, max 100), with a Link header. */
  const paginate = <T>(items: T[], url: URL): { items: T[]; headers: Record<string, string> } => {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(url.toString());
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return `<${base}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(link(page - 1, 'prev'));
    if (page < last) rels.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) rels.push(link(1, 'first'));
    return { items: items.slice((page - 1) * perPage, page * perPage), headers: rels.length > 0 ? { link: rels.join(', ') } : {} };
  };

  function route(method: string, url: URL, body: unknown): Reply {
    // The authenticated user (GET /user).
    if (url.pathname === '/user' && method === 'GET') return new Reply(200, { ...user(state.login), name: null, email: null });
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
    if (m === null) return notFound();
    const full = `${decodeURIComponent(m[1] as string)}/${decodeURIComponent(m[2] as string)}`;
    const repo = repos.get(full);
    if (repo === undefined) return notFound();
    const rest = m[3] as string;
    const findIssue = (n: string): GhIssue | undefined => [...repo.issues, ...repo.pulls].find((i) => i.number === Number(n));
    const text = (key: string) => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined);
    let r: RegExpExecArray | null;

    // "Get repository permissions for a user": permission is the legacy admin|write|read|none, role_name the full role.
    if ((r = /^\/collaborators\/([^/]+)\/permission$/.exec(rest)) && method === 'GET') {
      const who = decodeURIComponent(r[1] as string);
      const role = who === state.login ? 'admin' : (state.collaborators.get(full)?.get(who) ?? 'none');
      const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return new Reply(200, { permission, role_name: role, user: user(who) });
    }
    // "List repository issues": PRs too (with a pull_request key), labels= all of them (comma-separated), state=open by default.
    if (rest === '/issues' && method === 'GET') {
      const wanted = (url.searchParams.get('labels') ?? '').split(',').filter((l) => l !== '').map((l) => l.toLowerCase());
      const want = url.searchParams.get('state') ?? 'open';
      const all = [...repo.issues, ...repo.pulls]
        .filter((i) => want === 'all' || want === 'open')
        .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
        .sort((a, b) => (url.searchParams.get('direction') === 'asc' ? a.number - b.number : b.number - a.number));
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
        // since= keeps comments updated at or after it (these are never edited after creation here).
        const since = url.searchParams.get('since');
        const page = paginate(since === null ? issue.comments : issue.comments.filter((c) => Date.parse(c.created_at) >= Date.parse(since)), url);
        return new Reply(200, page.items.map((c) => commentJson(full, issue, c)), page.headers);
      }
      if (method === 'POST') {
        if (typeof text('body') !== 'string') return failureReply(422);
        const c: GhComment = { id: nextId++, body: text('body') as string, user: state.login, created_at: new Date().toISOString() };
        issue.comments.push(c);
        return new Reply(201, commentJson(full, issue, c), { location: `${base}/repos/${full}/issues/comments/${c.id}` });
      }
    }
    if ((r = /^\/issues\/comments\/(\d+)$/.exec(rest)) && method === 'PATCH') {
      for (const issue of [...repo.issues, ...repo.pulls]) {
        const c = issue.comments.find((x) => x.id === Number(r?.[1]));
        if (c === undefined) continue;
        if (typeof text('body') !== 'string') return failureReply(422);
        c.body = text('body') as string;
        return new Reply(200, commentJson(full, issue, c));
      }
      return notFound();
    }
    if ((r = /^\/issues\/(\d+)\/labels$/.exec(rest)) && method === 'POST') {
      const issue = findIssue(r[1] as string);
      if (issue === undefined) return notFound();
      const names = text('labels');
      if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) return failureReply(422);
      for (const name of names as string[]) {
        const l = labelFor(repo, name);
        if (!issue.labels.includes(l.name)) issue.labels.push(l.name);
      }
      return new Reply(200, issue.labels.map((n) => labelJson(full, labelFor(repo, n))));
    }
    if ((r = /^\/issues\/(\d+)\/labels\/([^/]+)$/.exec(rest)) && method === 'DELETE') {
      const issue = findIssue(r[1] as string);
      if (issue === undefined) return notFound();
      const name = decodeURIComponent(r[2] as string);
      const at = issue.labels.findIndex((n) => n.toLowerCase() === name.toLowerCase());
      if (at < 0) return new Reply(404, { message: 'Label does not exist', documentation_url: `${DOCS}/issues/labels#remove-a-label-from-an-issue`, status: '404' });
      issue.labels.splice(at, 1);
      return new Reply(200, issue.labels.map((n) => labelJson(full, labelFor(repo, n))));
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
        page.items.map((filename, i) => ({ sha: `${i}`.padStart(40, '0'), filename, status: 'modified', additions: 1, deletions: 0, changes: 1, patch: '@@ -1 +1 @@' })),
        page.headers,
      );
    }
    if (rest === '/pulls' && method === 'POST') {
      const [title, head, baseRef, prBody] = [text('title'), text('head'), text('base'), text('body')];
      if (typeof head !== 'string' || typeof baseRef !== 'string' || typeof title !== 'string') {
        return new Reply(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'missing_field' }], documentation_url: DOCS, status: '422' });
      }
      if (repo.pulls.some((p) => p.head.ref === head && p.base.ref === baseRef)) {
        return new Reply(422, {
          message: 'Validation Failed',
          errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${full.split('/')[0]}:${head}.` }],
          documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
          status: '422',
        });
      }
      const number = Math.max(0, ...repo.issues.map((i) => i.number), ...repo.pulls.map((p) => p.number)) + 1;
      const pull: GhPull = { number, title, body: typeof prBody === 'string' ? prBody : null, labels: [], comments: [], head: { ref: head, sha: 'f'.repeat(40) }, base: { ref: baseRef }, files: [] };
      repo.pulls.push(pull);
      return new Reply(201, pullJson(full, pull), { location: `${base}/repos/${full}/pulls/${number}` });
    }
    return notFound();
  }

  /** A GET answer's ETag, as GitHub sends a weak one: a request with If-None-Match equal to it gets 304 and no body. */
  function send(res: ServerResponse, reply: Reply, ifNoneMatch?: string): void {
    const payload = payloadOf(reply.body);
    const etag = reply.status === 200 && ifNoneMatch !== undefined ? `W/"${createHash('sha1').update(payload).digest('hex')}"` : undefined;
    if (etag !== undefined && ifNoneMatch === etag) {
      res.writeHead(304, { etag, 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999' });
      res.end();
      return;
    }
    res.writeHead(reply.status, {
      ...(etag === undefined ? {} : { etag }),
      'content-type': typeof reply.body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-request-id': `FAKE:${requests.length}`,
      ...reply.headers,
    });
    res.end(payload);
  }

  const http = await startForgeServer(
    requests,
    knobs,
    (res, failure) => send(res, failureReply(failure)),
    (req, res, url, body) => {
      if (state.token !== undefined) {
        if (req.headers.authorization === undefined) return send(res, new Reply(401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' }));
        if (!hasToken(req, state.token)) return send(res, failureReply(401));
      }
      if (state.hangLabelAdds > 0 && req.method === 'POST' && /\/issues\/\d+\/labels$/.test(url.pathname)) {
        state.hangLabelAdds -= 1;
        return;
      }
      send(res, route(req.method ?? 'GET', url, body), req.method === 'GET' ? String(req.headers['if-none-match'] ?? '') : undefined);
    },
  );
  base = http.url;

  return {
    url: base,
    state,
    requests,
    failNext: knobs.failNext,
    hangNext: knobs.hangNext,
    close: http.close,
  };
}
