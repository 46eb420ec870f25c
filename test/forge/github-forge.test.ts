import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentctlError, ExitCode } from '../../src/core/errors.js';
import { GitHubForge, type GitHubForgeOptions } from '../../src/forge/github-forge.js';
import { start, type FakeGitHub, RATE_LIMIT_SECONDS } from '../support/fake-github.js';

const TOKEN = 'ghp_5ecretTokenValue0123456789abcdef';
const REPO = { owner: 'acme', repo: 'web' };
let fake: FakeGitHub;

function forge(options: Partial<GitHubForgeOptions> = {}): Promise<GitHubForge> {
  return GitHubForge.create({ key: 'github', apiUrl: fake.url, tokenEnv: 'GITHUB_TOKEN', token: TOKEN, timeoutMs: 3000, ...options });
}

async function failure(promise: Promise<unknown>, code = 'forge_error'): Promise<AgentctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentctlError);
  const agentctl = error as AgentctlError;
  expect(agentctl.code).toBe(code);
  expect(agentctl.exitCode).toBe(ExitCode.forge);
  for (const text of [agentctl.message, agentctl.hint ?? '', inspect(agentctl, { depth: 8 })]) expect(text).not.toContain(TOKEN);
  return agentctl;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const last = () => fake.requests.at(-1);
const paths = () => fake.requests.map((r) => `${r.method} ${r.path}`);

beforeAll(async () => {
  fake = await start();
});
afterAll(() => fake.close());

// octokit logs failed requests to the console unless told not to.
const consoleError = vi.spyOn(console, 'error');
const consoleWarn = vi.spyOn(console, 'warn');
afterEach(() => {
  expect(consoleError).not.toHaveBeenCalled();
  expect(consoleWarn).not.toHaveBeenCalled();
});

beforeEach(() => {
  fake.state.repos.clear();
  fake.state.token = TOKEN;
  fake.requests.length = 0;
  const repo = fake.state.repo('acme/web');
  repo.issues.push({
    number: 42,
    title: 'Login redirect loops',
    body: null,
    labels: ['bug', 'help wanted'],
    comments: Array.from({ length: 250 }, (_, i) => ({ id: 1000 + i, body: `comment ${i}`, user: i % 2 === 0 ? 'alice' : 'bob', created_at: '2024-01-01T10:00:00Z' })),
  });
  repo.pulls.push({
    number: 7,
    title: 'Fix the redirect',
    body: 'Fixes #42',
    labels: [],
    comments: [],
    head: { ref: 'agent/issue-42', sha: 'a'.repeat(40) },
    base: { ref: 'main' },
    files: Array.from({ length: 230 }, (_, i) => `src/file-${String(i).padStart(3, '0')}.ts`),
  });
});

describe('GitHubForge reads', () => {
  it('getIssue: GET /repos/{o}/{r}/issues/{n} with `token` auth; a null body is ""', async () => {
    const issue = await (await forge()).getIssue(REPO, 42);
    expect(issue).toStrictEqual({ number: 42, title: 'Login redirect loops', body: '', labels: ['bug', 'help wanted'], url: `${fake.url}/acme/web/issues/42` });
    expect(fake.requests).toStrictEqual([{ method: 'GET', path: '/repos/acme/web/issues/42', body: undefined, authorization: `token ${TOKEN}` }]);
  });

  it('sends no Authorization header without a token', async () => {
    fake.state.token = undefined;
    await (await forge({ token: undefined })).getIssue(REPO, 42);
    expect(last()?.authorization).toBeUndefined();
  });

  it('listComments reads backwards from rel="last" for the newest `limit`', async () => {
    const gh = await forge();
    const newest = await gh.listComments(REPO, 42, 30);
    expect(newest.map((c) => c.id)).toStrictEqual(Array.from({ length: 30 }, (_, i) => 1220 + i));
    expect(newest[0]).toStrictEqual({ id: 1220, author: 'alice', body: 'comment 220', createdAt: '2024-01-01T10:00:00Z' });
    expect(paths()).toStrictEqual(['GET /repos/acme/web/issues/42/comments?per_page=100&page=1', 'GET /repos/acme/web/issues/42/comments?per_page=100&page=3']);

    fake.requests.length = 0;
    const more = await gh.listComments(REPO, 42, 120);
    expect(more.map((c) => c.id)).toStrictEqual(Array.from({ length: 120 }, (_, i) => 1130 + i));
    expect(paths()).toStrictEqual([
      'GET /repos/acme/web/issues/42/comments?per_page=100&page=1',
      'GET /repos/acme/web/issues/42/comments?per_page=100&page=3',
      'GET /repos/acme/web/issues/42/comments?per_page=100&page=2',
    ]);

    const all = await gh.listComments(REPO, 42);
    expect(all.map((c) => c.id)).toStrictEqual(Array.from({ length: 250 }, (_, i) => 1000 + i));
  });

  it('listComments on a short thread is one request', async () => {
    fake.state.repo('acme/web').issues[0]?.comments.splice(3);
    expect((await (await forge()).listComments(REPO, 42, 2)).map((c) => c.id)).toStrictEqual([1001, 1002]);
    expect(paths()).toStrictEqual(['GET /repos/acme/web/issues/42/comments?per_page=100&page=1']);
  });

  it('getPull: base, head and head sha', async () => {
    const pull = await (await forge()).getPull(REPO, 7);
    expect(pull).toStrictEqual({ number: 7, title: 'Fix the redirect', body: 'Fixes #42', base: 'main', head: 'agent/issue-42', headSha: 'a'.repeat(40), url: `${fake.url}/acme/web/pull/7` });
    expect(paths()).toStrictEqual(['GET /repos/acme/web/pulls/7']);
  });

  it('listPullFiles: pages of 100 until a short one', async () => {
    const files = await (await forge()).listPullFiles(REPO, 7);
    expect(files).toHaveLength(230);
    expect(files.at(-1)).toBe('src/file-229.ts');
    expect(paths()).toStrictEqual([
      'GET /repos/acme/web/pulls/7/files?per_page=100&page=1',
      'GET /repos/acme/web/pulls/7/files?per_page=100&page=2',
      'GET /repos/acme/web/pulls/7/files?per_page=100&page=3',
    ]);
  });
});

describe('GitHubForge writes', () => {
  it('postComment then editComment', async () => {
    const gh = await forge();
    const posted = await gh.postComment(REPO, 42, 'agentctl started');
    expect(posted).toMatchObject({ author: 'agentctl-bot', body: 'agentctl started' });
    expect(last()).toStrictEqual({ method: 'POST', path: '/repos/acme/web/issues/42/comments', body: { body: 'agentctl started' }, authorization: `token ${TOKEN}` });

    const edited = await gh.editComment(REPO, posted.id, 'agentctl finished');
    expect(edited).toStrictEqual({ ...posted, body: 'agentctl finished' });
    expect(last()).toStrictEqual({ method: 'PATCH', path: `/repos/acme/web/issues/comments/${posted.id}`, body: { body: 'agentctl finished' }, authorization: `token ${TOKEN}` });
  });

  it('addLabels posts names (GitHub creates missing labels); removeLabel deletes by name; a missing label (404) is fine', async () => {
    const gh = await forge();
    await gh.addLabels(REPO, 42, ['agentctl: running']);
    expect(last()).toMatchObject({ method: 'POST', path: '/repos/acme/web/issues/42/labels', body: { labels: ['agentctl: running'] } });
    expect(fake.state.repo('acme/web').labels.map((l) => l.name)).toContain('agentctl: running');
    expect((await gh.getIssue(REPO, 42)).labels).toStrictEqual(['bug', 'help wanted', 'agentctl: running']);

    await gh.removeLabel(REPO, 42, 'agentctl: running');
    expect(last()).toMatchObject({ method: 'DELETE', path: '/repos/acme/web/issues/42/labels/agentctl%3A%20running' });
    expect((await gh.getIssue(REPO, 42)).labels).toStrictEqual(['bug', 'help wanted']);

    fake.requests.length = 0;
    await gh.removeLabel(REPO, 42, 'agentctl: running');
    expect(paths()).toStrictEqual(['DELETE /repos/acme/web/issues/42/labels/agentctl%3A%20running']);
  });

  it('addLabels with no labels sends nothing (an empty list would clear them)', async () => {
    await (await forge()).addLabels(REPO, 42, []);
    expect(fake.requests).toStrictEqual([]);
  });

  it('removeLabel still fails on other errors', async () => {
    fake.failNext(500);
    const error = await failure((await forge()).removeLabel(REPO, 42, 'bug'));
    expect(error.message).toBe('forge github (github): DELETE /repos/acme/web/issues/42/labels/bug failed: HTTP 500, the forge is failing (Server Error)');
  });

  it('stopwatches are unsupported and send nothing', async () => {
    const gh = await forge();
    for (const call of [gh.startStopwatch(REPO, 42), gh.stopStopwatch(REPO, 42)]) {
      const error = await failure(call, 'unsupported');
      expect(error.message).toBe('forge github (github) has no issue stopwatch');
    }
    expect(fake.requests).toStrictEqual([]);
  });

  it('createPull posts title, body, head and base; a duplicate says so', async () => {
    const gh = await forge();
    const pull = { title: 'Fix #42', body: 'Closes #42', head: 'agent/issue-42b', base: 'main' };
    expect(await gh.createPull(REPO, pull)).toStrictEqual({ number: 43, url: `${fake.url}/acme/web/pull/43` });
    expect(last()).toStrictEqual({ method: 'POST', path: '/repos/acme/web/pulls', body: pull, authorization: `token ${TOKEN}` });

    const again = await failure(gh.createPull(REPO, pull));
    expect(again.message).toBe('forge github (github): POST /repos/acme/web/pulls failed: HTTP 422 (Validation Failed: A pull request already exists for acme:agent/issue-42b.)');
  });
});

describe('GitHubForge failures', () => {
  it('401: bad credentials name token_env, never the token', async () => {
    const error = await failure((await forge({ token: 'ghp_wrong' })).getIssue(REPO, 42));
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/issues/42 failed: HTTP 401, the token is missing or invalid (Bad credentials)');
    expect(error.hint).toContain('the token in GITHUB_TOKEN (named in forges.github.token_env) was rejected');
  });

  it('403 with x-ratelimit-remaining 0: rate limited until the reset', async () => {
    fake.failNext('rate-limited');
    const error = await failure((await forge()).getIssue(REPO, 42));
    expect(error.message).toMatch(/^forge github \(github\): GET \/repos\/acme\/web\/issues\/42 failed: HTTP 403, rate limited; retry after (\d+) s \(API rate limit exceeded/);
    const wait = Number(/retry after (\d+) s/.exec(error.message)?.[1]);
    expect(wait).toBeGreaterThanOrEqual(RATE_LIMIT_SECONDS - 1);
    expect(wait).toBeLessThanOrEqual(RATE_LIMIT_SECONDS);
  });

  it('other 403s: the token lacks permission', async () => {
    fake.failNext(403);
    const error = await failure((await forge()).postComment(REPO, 42, 'hi'));
    expect(error.message).toBe('forge github (github): POST /repos/acme/web/issues/42/comments failed: HTTP 403, the token lacks permission (Resource not accessible by personal access token)');
    expect(error.hint).toContain('"repo" scope');
  });

  it('404: not found', async () => {
    const error = await failure((await forge()).getPull(REPO, 999));
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/pulls/999 failed: HTTP 404, not found (Not Found)');
  });

  it('500: the forge is failing, retry later', async () => {
    fake.failNext(500);
    const error = await failure((await forge()).listComments(REPO, 42));
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/issues/42/comments failed: HTTP 500, the forge is failing (Server Error)');
    expect(error.hint).toBe(`${fake.url} answered with a server error; retry later`);
  });

  it('no retries: one failing request is one failure', async () => {
    fake.failNext(502, 1);
    await failure((await forge()).getIssue(REPO, 42));
    expect(fake.requests).toHaveLength(1);
  });

  it('a server that never answers times out, naming the call', async () => {
    fake.hangNext();
    const gh = await forge({ timeoutMs: 300 });
    const started = Date.now();
    const error = await failure(gh.getIssue(REPO, 42));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/issues/42 got no answer within 0.3 s');
    expect(error.hint).toContain(`check that ${fake.url} is the forge's API (forges.github.api_url)`);
  });

  it('nothing listening: cannot reach api_url', async () => {
    const port = await closedPort();
    const error = await failure((await forge({ apiUrl: `http://127.0.0.1:${port}` })).getIssue(REPO, 42));
    expect(error.message).toBe(`forge github (github): GET /repos/acme/web/issues/42 could not reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});

describe('who may answer for the operator', () => {
  it("names the token's own user", async () => {
    expect(await (await forge()).currentUser()).toBe('agentctl-bot');
    expect(last()).toMatchObject({ method: 'GET', path: '/user' });
  });

  it("reads a user's permission on the repo; maintain counts as write, anyone else has none", async () => {
    fake.state.collaborators.set('acme/web', new Map([['carol', 'maintain'], ['dave', 'triage']]));
    const gh = await forge();
    expect(await gh.permission(REPO, 'carol')).toBe('write');
    expect(last()).toMatchObject({ method: 'GET', path: '/repos/acme/web/collaborators/carol/permission' });
    expect(await gh.permission(REPO, 'dave')).toBe('read');
    expect(await gh.permission(REPO, 'mallory')).toBe('none');
  });

  it('says nothing for a user GitHub does not know (404)', async () => {
    fake.failNext(404);
    expect(await (await forge()).permission(REPO, 'ghost')).toBeUndefined();
  });
});

describe('GitHubForge.listLabelled', () => {
  const label = 'agent:ready';
  const seed = (count: number) => {
    const repo = fake.state.repo('acme/web');
    for (let n = 100; n < 100 + count; n++) repo.issues.push({ number: n, title: `t${n}`, body: 'b', labels: n % 2 === 0 ? [label, 'bug'] : ['bug'], comments: [] });
    repo.pulls.push({ number: 9, title: 'p', body: '', labels: [label], comments: [], head: { ref: 'h', sha: 'b'.repeat(40) }, base: { ref: 'main' }, files: [] });
  };

  it('lists open issues with the label, oldest first, without the PRs GitHub mixes in', async () => {
    seed(10);
    const listed = await (await forge()).listLabelled(REPO, label, 'issues');
    expect(listed.notModified).toBe(false);
    expect(listed.notModified === false && listed.items).toEqual([100, 102, 104, 106, 108].map((number) => ({ number, labels: [label, 'bug'] })));
    expect(paths()).toEqual([`GET /repos/acme/web/issues?labels=${encodeURIComponent(label)}&state=open&sort=created&direction=asc&per_page=100&page=1`]);
  });

  it('on: pull_request keeps only the PRs', async () => {
    seed(4);
    const listed = await (await forge()).listLabelled(REPO, label, 'pull_request');
    expect(listed.notModified === false && listed.items).toEqual([{ number: 9, labels: [label] }]);
  });

  it('asks again with the ETag it got: an unchanged list is a 304, "not modified"', async () => {
    seed(4);
    const gh = await forge();
    const first = await gh.listLabelled(REPO, label, 'issues');
    expect(first.notModified === false && first.validators.etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const again = await gh.listLabelled(REPO, label, 'issues', first.notModified === false ? first.validators : {});
    expect(again).toEqual({ notModified: true });
    fake.state.repo('acme/web').issues.push({ number: 999, title: 'new', body: '', labels: [label], comments: [] });
    const changed = await gh.listLabelled(REPO, label, 'issues', first.notModified === false ? first.validators : {});
    expect(changed.notModified === false && changed.items.map((i) => i.number)).toContain(999);
  });

  it('reads at most 300 issues, a bounded number of pages', async () => {
    seed(1000);
    const listed = await (await forge()).listLabelled(REPO, label, 'issues');
    expect(listed.notModified === false && listed.items.length).toBe(300);
    // The PR on page 1 is passed over, so a fourth page fills the 300.
    expect(fake.requests.length).toBe(4);
  });

  it('a 500 is a forge error naming the call', async () => {
    fake.failNext(500);
    const error = await failure((await forge()).listLabelled(REPO, label, 'issues'));
    expect(error.message).toContain('GET /repos/acme/web/issues failed: HTTP 500');
  });
});

describe('GitHubForge.listCommentsSince', () => {
  it('asks with since= and answers only the newer comments, one page', async () => {
    const issue = fake.state.repo('acme/web').issues[0];
    issue?.comments.push({ id: 5000, body: 'late reply', user: 'maria', created_at: '2030-01-01T00:00:00Z' });
    const comments = await (await forge()).listCommentsSince(REPO, 42, '2029-12-31T00:00:00.000Z');
    expect(comments).toEqual([{ id: 5000, author: 'maria', body: 'late reply', createdAt: '2030-01-01T00:00:00Z' }]);
    expect(paths()).toEqual(['GET /repos/acme/web/issues/42/comments?since=2029-12-31T00%3A00%3A00.000Z&per_page=100&page=1']);
  });

  it('a flood of comments (anyone may comment) does not hide the newest reply: past one full page it reads the last', async () => {
    const issue = fake.state.repo('acme/web').issues[0];
    for (let i = 0; i < 150; i++) issue?.comments.push({ id: 6000 + i, body: `spam ${i}`, user: 'stranger', created_at: '2030-01-01T00:00:00Z' });
    issue?.comments.push({ id: 7000, body: 'the answer', user: 'maria', created_at: '2030-01-02T00:00:00Z' });
    const comments = await (await forge()).listCommentsSince(REPO, 42, '2029-12-31T00:00:00.000Z');
    expect(comments.at(-1)).toMatchObject({ id: 7000, author: 'maria' });
  });
});
