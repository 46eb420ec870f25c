import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentctlError, ExitCode } from '../../src/core/errors.js';
import { ForgejoForge, type ForgejoForgeOptions } from '../../src/forge/forgejo-forge.js';
import { start, type FakeForgejo, RATE_LIMIT_SECONDS } from '../support/fake-forgejo.js';

const TOKEN = 'fj_5ecret_token_abcdef0123456789';
const REPO = { owner: 'acme', repo: 'web' };
let fake: FakeForgejo;

function forge(options: Partial<ForgejoForgeOptions> = {}): ForgejoForge {
  return new ForgejoForge({ key: 'codeberg', kind: 'forgejo', apiUrl: `${fake.url}/api/v1`, tokenEnv: 'CODEBERG_TOKEN', token: TOKEN, timeoutMs: 3000, ...options });
}

async function failure(promise: Promise<unknown>): Promise<AgentctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentctlError);
  const agentctl = error as AgentctlError;
  expect(agentctl.code).toBe('forge_error');
  expect(agentctl.exitCode).toBe(ExitCode.forge);
  for (const text of [agentctl.message, agentctl.hint ?? '', inspect(agentctl, { depth: 8 })]) expect(text).not.toContain(TOKEN);
  return agentctl;
}

const last = () => fake.requests.at(-1);

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  fake = await start();
});
afterAll(() => fake.close());

beforeEach(() => {
  fake.state.repos.clear();
  fake.state.token = TOKEN;
  fake.requests.length = 0;
  const repo = fake.state.repo('acme/web');
  const bug = fake.state.label('acme/web', 'bug');
  repo.issues.push({
    number: 42,
    title: 'Login redirect loops',
    body: 'After login we land on /login again.',
    labels: [bug],
    comments: [1, 2, 3, 4, 5].map((n) => ({ id: 100 + n, body: `comment ${n}`, user: n % 2 === 0 ? 'bob' : 'alice', created_at: `2024-01-0${n}T10:00:00Z` })),
  });
  repo.pulls.push({
    number: 7,
    title: 'Fix the redirect',
    body: 'Fixes #42',
    labels: [],
    comments: [],
    head: { ref: 'agent/issue-42', sha: 'a'.repeat(40) },
    base: { ref: 'main' },
    files: Array.from({ length: 120 }, (_, i) => `src/file-${String(i).padStart(3, '0')}.ts`),
  });
});

describe('ForgejoForge reads', () => {
  it('getIssue: GET /api/v1/repos/{o}/{r}/issues/{n} with the token', async () => {
    const issue = await forge().getIssue(REPO, 42);
    expect(issue).toStrictEqual({
      number: 42,
      title: 'Login redirect loops',
      body: 'After login we land on /login again.',
      labels: ['bug'],
      url: `${fake.url}/acme/web/issues/42`,
    });
    expect(fake.requests).toStrictEqual([{ method: 'GET', path: '/api/v1/repos/acme/web/issues/42', body: undefined, authorization: `token ${TOKEN}` }]);
  });

  it('sends no Authorization header without a token', async () => {
    fake.state.token = undefined;
    await forge({ token: undefined }).getIssue(REPO, 42);
    expect(last()?.authorization).toBeUndefined();
  });

  it('listComments: all of them oldest first, or the newest `limit`', async () => {
    const all = await forge().listComments(REPO, 42);
    expect(all.map((c) => c.id)).toStrictEqual([101, 102, 103, 104, 105]);
    expect(all[0]).toStrictEqual({ id: 101, author: 'alice', body: 'comment 1', createdAt: '2024-01-01T10:00:00Z' });
    const newest = await forge().listComments(REPO, 42, 2);
    expect(newest.map((c) => c.body)).toStrictEqual(['comment 4', 'comment 5']);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toStrictEqual(['GET /api/v1/repos/acme/web/issues/42/comments', 'GET /api/v1/repos/acme/web/issues/42/comments']);
  });

  it('getPull: base, head and head sha', async () => {
    const pull = await forge().getPull(REPO, 7);
    expect(pull).toStrictEqual({ number: 7, title: 'Fix the redirect', body: 'Fixes #42', base: 'main', head: 'agent/issue-42', headSha: 'a'.repeat(40), url: `${fake.url}/acme/web/pulls/7` });
    expect(last()?.path).toBe('/api/v1/repos/acme/web/pulls/7');
  });

  it('listPullFiles: pages of 50 until X-Total-Count', async () => {
    const files = await forge().listPullFiles(REPO, 7);
    expect(files).toHaveLength(120);
    expect(files[0]).toBe('src/file-000.ts');
    expect(files[119]).toBe('src/file-119.ts');
    expect(fake.requests.map((r) => r.path)).toStrictEqual([
      '/api/v1/repos/acme/web/pulls/7/files?page=1&limit=50',
      '/api/v1/repos/acme/web/pulls/7/files?page=2&limit=50',
      '/api/v1/repos/acme/web/pulls/7/files?page=3&limit=50',
    ]);
  });
});

describe('ForgejoForge writes', () => {
  it('postComment then editComment', async () => {
    const posted = await forge().postComment(REPO, 42, 'agentctl started');
    expect(posted).toMatchObject({ author: 'agentctl-bot', body: 'agentctl started' });
    expect(last()).toStrictEqual({ method: 'POST', path: '/api/v1/repos/acme/web/issues/42/comments', body: { body: 'agentctl started' }, authorization: `token ${TOKEN}` });

    const edited = await forge().editComment(REPO, posted.id, 'agentctl finished');
    expect(edited).toStrictEqual({ ...posted, body: 'agentctl finished' });
    expect(last()).toStrictEqual({ method: 'PATCH', path: `/api/v1/repos/acme/web/issues/comments/${posted.id}`, body: { body: 'agentctl finished' }, authorization: `token ${TOKEN}` });
    expect(fake.state.repo('acme/web').issues[0]?.comments.at(-1)?.body).toBe('agentctl finished');
  });

  it('addLabels looks labels up by name, creates the missing ones, then adds them by id', async () => {
    const repo = fake.state.repo('acme/web');
    const bug = repo.labels[0]?.id as number;
    await forge().addLabels(REPO, 42, ['agentctl: running', 'bug']);
    const running = repo.labels.find((l) => l.name === 'agentctl: running');
    expect(running).toStrictEqual({ id: expect.any(Number), name: 'agentctl: running', color: 'ededed' });
    expect(fake.requests.map((r) => [r.method, r.path, r.body])).toStrictEqual([
      ['GET', '/api/v1/repos/acme/web/labels?page=1&limit=50', undefined],
      ['POST', '/api/v1/repos/acme/web/labels', { name: 'agentctl: running', color: '#ededed' }],
      ['POST', '/api/v1/repos/acme/web/issues/42/labels', { labels: [running?.id, bug] }],
    ]);
    expect((await forge().getIssue(REPO, 42)).labels).toStrictEqual(['bug', 'agentctl: running']);

    // A second time, the label exists and nothing is created.
    fake.requests.length = 0;
    await forge().addLabels(REPO, 42, ['agentctl: running']);
    expect(fake.requests.map((r) => r.method)).toStrictEqual(['GET', 'POST']);
    expect(repo.labels.filter((l) => l.name === 'agentctl: running')).toHaveLength(1);
  });

  it('addLabels with no labels sends nothing', async () => {
    await forge().addLabels(REPO, 42, []);
    expect(fake.requests).toStrictEqual([]);
  });

  it('removeLabel deletes by id; a label the issue lacks, or an unknown one, is fine', async () => {
    const bug = fake.state.repo('acme/web').labels[0]?.id as number;
    await forge().removeLabel(REPO, 42, 'bug');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toStrictEqual(['GET /api/v1/repos/acme/web/labels?page=1&limit=50', `DELETE /api/v1/repos/acme/web/issues/42/labels/${bug}`]);
    expect((await forge().getIssue(REPO, 42)).labels).toStrictEqual([]);

    fake.requests.length = 0;
    await forge().removeLabel(REPO, 42, 'bug'); // not on the issue: 204 all the same
    await forge().removeLabel(REPO, 42, 'never-created'); // no such label: nothing to delete
    expect(fake.requests.map((r) => r.method)).toStrictEqual(['GET', 'DELETE', 'GET']);
    await forge().removeLabel(REPO, 999, 'bug'); // 404
  });

  it('stopwatch: start and stop answer 201; a second start or stop (409) is not an error', async () => {
    const repo = fake.state.repo('acme/web');
    await forge().startStopwatch(REPO, 42);
    expect(last()).toStrictEqual({ method: 'POST', path: '/api/v1/repos/acme/web/issues/42/stopwatch/start', body: undefined, authorization: `token ${TOKEN}` });
    expect(repo.stopwatches.has(42)).toBe(true);
    await forge().startStopwatch(REPO, 42);

    await forge().stopStopwatch(REPO, 42);
    expect(last()?.path).toBe('/api/v1/repos/acme/web/issues/42/stopwatch/stop');
    expect(repo.stopwatches.has(42)).toBe(false);
    expect(repo.trackedTimes).toStrictEqual([42]);
    await forge().stopStopwatch(REPO, 42);
    expect(repo.trackedTimes).toStrictEqual([42]);
  });

  it('a stopwatch on a missing issue is still an error', async () => {
    const error = await failure(forge().startStopwatch(REPO, 999));
    expect(error.message).toBe('forge codeberg (forgejo): POST /repos/acme/web/issues/999/stopwatch/start failed: HTTP 404, not found (The target couldn\'t be found.)');
  });

  it('createPull posts title, body, head and base', async () => {
    const pull = { title: 'Fix #42', body: 'Closes #42', head: 'agent/issue-42b', base: 'main' };
    const created = await forge().createPull(REPO, pull);
    expect(created).toStrictEqual({ number: 43, url: `${fake.url}/acme/web/pulls/43` });
    expect(last()).toStrictEqual({ method: 'POST', path: '/api/v1/repos/acme/web/pulls', body: pull, authorization: `token ${TOKEN}` });

    const again = await failure(forge().createPull(REPO, pull));
    expect(again.message).toMatch(/^forge codeberg \(forgejo\): POST \/repos\/acme\/web\/pulls failed: HTTP 409 \(pull request already exists for these targets/);
  });

  it('gitea is the same API', async () => {
    const gitea = forge({ kind: 'gitea', key: 'gitea' });
    expect(gitea.kind).toBe('gitea');
    expect((await gitea.getIssue(REPO, 42)).number).toBe(42);
  });
});

describe('ForgejoForge failures', () => {
  it('401: a rejected token names token_env, never the token', async () => {
    const error = await failure(forge({ token: 'wrong-token' }).getIssue(REPO, 42));
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/web/issues/42 failed: HTTP 401, the token is missing or invalid (token is required)');
    expect(error.hint).toContain('the token in CODEBERG_TOKEN (named in forges.codeberg.token_env) was rejected');
    expect(fake.requests[0]?.authorization).toBe('token wrong-token');
  });

  it('401 without a token says the variable is not set', async () => {
    const error = await failure(forge({ token: undefined }).getIssue(REPO, 42));
    expect(error.hint).toBe('CODEBERG_TOKEN (named in forges.codeberg.token_env) is not set: export CODEBERG_TOKEN=<a forgejo API token>');
  });

  it('429: rate limited, with the wait from Retry-After', async () => {
    fake.failNext('rate-limited');
    const error = await failure(forge().listComments(REPO, 42));
    expect(error.message).toBe(`forge codeberg (forgejo): GET /repos/acme/web/issues/42/comments failed: HTTP 429, rate limited; retry after ${RATE_LIMIT_SECONDS} s (Too Many Requests)`);
    expect(error.hint).toBe(`wait ${RATE_LIMIT_SECONDS} s and run it again`);
  });

  it('403: the token lacks permission', async () => {
    fake.failNext(403);
    const error = await failure(forge().postComment(REPO, 42, 'hi'));
    expect(error.message).toBe(
      'forge codeberg (forgejo): POST /repos/acme/web/issues/42/comments failed: HTTP 403, the token lacks permission (user should have specific permission or be a site admin)',
    );
    expect(error.hint).toContain('write:issue');
  });

  it('404: repo or issue not found', async () => {
    const error = await failure(forge().getIssue({ owner: 'acme', repo: 'nope' }, 1));
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/nope/issues/1 failed: HTTP 404, not found (The target couldn\'t be found.)');
    expect(error.hint).toContain('check the repo name and the issue/PR number');
  });

  it('500: the forge is failing, retry later', async () => {
    fake.failNext(500);
    const error = await failure(forge().getPull(REPO, 7));
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/web/pulls/7 failed: HTTP 500, the forge is failing (internal server error)');
    expect(error.hint).toBe(`${fake.url}/api/v1 answered with a server error; retry later`);
  });

  it('a server that never answers times out, naming the call', async () => {
    fake.hangNext();
    const started = Date.now();
    const error = await failure(forge({ timeoutMs: 300 }).getIssue(REPO, 42));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/web/issues/42 got no answer within 0.3 s');
    expect(error.hint).toContain(`check that ${fake.url}/api/v1 is the forge's API (forges.codeberg.api_url)`);
  });

  it('nothing listening: cannot reach api_url', async () => {
    const port = await closedPort();
    const error = await failure(forge({ apiUrl: `http://127.0.0.1:${port}/api/v1` }).getIssue(REPO, 42));
    expect(error.message).toBe(`forge codeberg (forgejo): GET /repos/acme/web/issues/42 could not reach http://127.0.0.1:${port}/api/v1: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.hint).toBe('check forges.codeberg.api_url (or url), DNS and your network connection');
  });

  it('a proxy error page (502, HTML) is the forge failing', async () => {
    fake.failNext(502);
    const error = await failure(forge().getIssue(REPO, 42));
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/web/issues/42 failed: HTTP 502, the forge is failing (<html><body>502 Bad Gateway</body></html>)');
  });
});

describe('who may answer for the operator', () => {
  it("names the token's own user", async () => {
    expect(await forge().currentUser()).toBe('agentctl-bot');
    expect(last()).toMatchObject({ method: 'GET', path: '/api/v1/user' });
  });

  it("reads a user's permission on the repo; anyone else has none", async () => {
    fake.state.collaborators.set('acme/web', new Map([['carol', 'write'], ['dave', 'read']]));
    expect(await forge().permission(REPO, 'carol')).toBe('write');
    expect(last()).toMatchObject({ method: 'GET', path: '/api/v1/repos/acme/web/collaborators/carol/permission' });
    expect(await forge().permission(REPO, 'dave')).toBe('read');
    expect(await forge().permission(REPO, 'mallory')).toBe('none');
  });

  it('says nothing when the forge refuses to tell (403)', async () => {
    fake.failNext(403);
    expect(await forge().permission(REPO, 'carol')).toBeUndefined();
  });
});

describe('ForgejoForge.listLabelled', () => {
  it('ListIssues with labels=, type=issues and state=open; oldest first; pages of 50 up to 300', async () => {
    const ready = fake.state.label('acme/web', 'agent:ready');
    const repo = fake.state.repo('acme/web');
    for (let n = 100; n < 500; n++) repo.issues.push({ number: n, title: `t${n}`, body: '', labels: n < 450 ? [ready] : [], comments: [] });
    repo.pulls[0]?.labels.push(ready);
    const listed = await forge().listLabelled(REPO, 'agent:ready', 'issues');
    expect(listed.notModified).toBe(false);
    const items = listed.notModified === false ? listed.items : [];
    expect(items.length).toBe(300);
    expect(items[0]).toEqual({ number: 150, labels: ['agent:ready'] });
    expect(items.map((i) => i.number)).toEqual([...items.map((i) => i.number)].sort((a, b) => a - b));
    expect(fake.requests.length).toBe(6);
    expect(fake.requests[0]?.path).toBe('/api/v1/repos/acme/web/issues?state=open&type=issues&labels=agent%3Aready&page=1&limit=50');
  });

  it('type=pulls for on: pull_request', async () => {
    const ready = fake.state.label('acme/web', 'agent:ready');
    fake.state.repo('acme/web').pulls[0]?.labels.push(ready);
    const listed = await forge().listLabelled(REPO, 'agent:ready', 'pull_request');
    expect(listed.notModified === false && listed.items).toEqual([{ number: 7, labels: ['agent:ready'] }]);
    expect(last()?.path).toContain('type=pulls');
  });

  it('a 502 is a forge error', async () => {
    fake.failNext(502);
    const error = await failure(forge().listLabelled(REPO, 'agent:ready', 'issues'));
    expect(error.message).toContain('HTTP 502');
  });
});

describe('ForgejoForge.listCommentsSince', () => {
  it('asks with since= and answers only the newer comments', async () => {
    fake.state.repo('acme/web').issues[0]?.comments.push({ id: 900, body: 'late reply', user: 'maria', created_at: '2030-01-01T00:00:00Z' });
    const comments = await forge().listCommentsSince(REPO, 42, '2029-12-31T00:00:00.000Z');
    expect(comments.map((c) => [c.id, c.author, c.body])).toEqual([[900, 'maria', 'late reply']]);
    expect(last()?.path).toBe('/api/v1/repos/acme/web/issues/42/comments?since=2029-12-31T00%3A00%3A00.000Z');
  });

  it('a flood of comments (anyone may comment) does not hide the newest reply: the bound keeps the newest', async () => {
    const issue = fake.state.repo('acme/web').issues[0];
    for (let i = 0; i < 150; i++) issue?.comments.push({ id: 6000 + i, body: `spam ${i}`, user: 'stranger', created_at: '2030-01-01T00:00:00Z' });
    issue?.comments.push({ id: 7000, body: 'the answer', user: 'maria', created_at: '2030-01-02T00:00:00Z' });
    const comments = await forge().listCommentsSince(REPO, 42, '2029-12-31T00:00:00.000Z');
    expect(comments.at(-1)).toMatchObject({ id: 7000, author: 'maria' });
  });
});
