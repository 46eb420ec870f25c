import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { forgeError, type ForgeErrorContext } from '../../src/forge/forge-error.js';

const TOKEN = 'ghp_s3cretTOKENvalue0123456789';
const GH: ForgeErrorContext = { key: 'github', kind: 'github', apiUrl: 'https://api.github.com', tokenEnv: 'GITHUB_TOKEN', token: TOKEN };
const FJ: ForgeErrorContext = { key: 'codeberg', kind: 'forgejo', apiUrl: 'https://codeberg.org/api/v1', tokenEnv: 'CODEBERG_TOKEN', token: TOKEN };
const CALL = 'GET /repos/acme/web/issues/42';
const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('forgeError', () => {
  it('is a forge_error with the forge exit code, naming forge, kind, call and status', () => {
    const error = forgeError(GH, CALL, { type: 'status', status: 404, detail: 'Not Found' });
    expect(error.code).toBe('forge_error');
    expect(error.exitCode).toBe(ExitCode.forge);
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/issues/42 failed: HTTP 404, not found (Not Found)');
    expect(error.hint).toBe('check the repo name and the issue/PR number; a private repo also answers 404 when the token in GITHUB_TOKEN cannot see it');
  });

  it.each<[string, ForgeErrorContext, string]>([
    ['a rejected token', GH, 'the token in GITHUB_TOKEN (named in forges.github.token_env) was rejected: it may be mistyped, expired or revoked; put a valid github API token in it'],
    ['an unset variable', { ...FJ, token: undefined }, 'CODEBERG_TOKEN (named in forges.codeberg.token_env) is not set: export CODEBERG_TOKEN=<a forgejo API token>'],
    ['no token_env', { ...FJ, tokenEnv: undefined, token: undefined }, 'no token is configured: set forges.codeberg.token_env to the name of an environment variable and put a forgejo API token in it'],
  ])('401 with %s says how to fix the token', (_name, ctx, hint) => {
    const error = forgeError(ctx, CALL, { type: 'status', status: 401, detail: 'Bad credentials' });
    expect(error.message).toBe(`forge ${ctx.key} (${ctx.kind}): GET /repos/acme/web/issues/42 failed: HTTP 401, the token is missing or invalid (Bad credentials)`);
    expect(error.hint).toBe(hint);
  });

  it('403 with x-ratelimit-remaining 0 is a rate limit until x-ratelimit-reset', () => {
    const headers = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 42) };
    const error = forgeError(GH, CALL, { type: 'status', status: 403, headers, detail: 'API rate limit exceeded for user ID 1.' }, undefined, NOW);
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/issues/42 failed: HTTP 403, rate limited; retry after 42 s (API rate limit exceeded for user ID 1.)');
    expect(error.hint).toBe('wait 42 s and run it again');
  });

  it.each<[string, ForgeErrorContext, number, Headers | Record<string, string>, string | undefined, number]>([
    ['retry-after seconds (secondary limit)', GH, 403, new Headers({ 'Retry-After': '90' }), 'You have exceeded a secondary rate limit', 90],
    ['retry-after as an HTTP date', FJ, 429, { 'Retry-After': new Date(NOW + 120_000).toUTCString() }, undefined, 120],
    ['a secondary limit without headers (wait a minute)', GH, 403, {}, 'You have exceeded a secondary rate limit. Please wait a few minutes.', 60],
    ['a bare 429', FJ, 429, {}, 'Too Many Requests', 60],
  ])('rate limit from %s', (_name, ctx, status, headers, detail, wait) => {
    const error = forgeError(ctx, CALL, { type: 'status', status, headers, detail }, undefined, NOW);
    expect(error.message).toContain(`failed: HTTP ${status}, rate limited; retry after ${wait} s`);
    expect(error.hint).toMatch(new RegExp(`^wait ${wait} s and run it again`));
  });

  it('a rate limit without a token suggests one', () => {
    const error = forgeError({ ...GH, token: undefined }, CALL, { type: 'status', status: 429, headers: { 'retry-after': '5' } }, undefined, NOW);
    expect(error.hint).toBe('wait 5 s and run it again; GITHUB_TOKEN (named in forges.github.token_env) is not set: export GITHUB_TOKEN=<a github API token> to get a higher limit');
  });

  it('other 403s are missing permissions, with the scopes each kind needs', () => {
    const headers = { 'x-ratelimit-remaining': '4999' };
    const gh = forgeError(GH, 'POST /repos/acme/web/issues/42/comments', { type: 'status', status: 403, headers, detail: 'Resource not accessible by personal access token' });
    expect(gh.message).toBe('forge github (github): POST /repos/acme/web/issues/42/comments failed: HTTP 403, the token lacks permission (Resource not accessible by personal access token)');
    expect(gh.hint).toBe(
      'the token in GITHUB_TOKEN lacks permission: a classic token needs the "repo" scope (or "public_repo"); a fine-grained token needs read/write on Issues and Pull requests for this repo',
    );
    const fj = forgeError(FJ, 'POST /repos/acme/web/issues/42/stopwatch/start', { type: 'status', status: 403 });
    expect(fj.message).toBe('forge codeberg (forgejo): POST /repos/acme/web/issues/42/stopwatch/start failed: HTTP 403, the token lacks permission');
    expect(fj.hint).toContain('write:issue and write:repository scopes');
  });

  it('5xx: the forge is failing, retry later', () => {
    const error = forgeError(FJ, CALL, { type: 'status', status: 502, detail: '<html><body>\n502 Bad Gateway\n</body></html>' });
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/web/issues/42 failed: HTTP 502, the forge is failing (<html><body> 502 Bad Gateway </body></html>)');
    expect(error.hint).toBe('https://codeberg.org/api/v1 answered with a server error; retry later');
  });

  it('other statuses pass on what the forge said', () => {
    const error = forgeError(FJ, 'POST /repos/acme/web/pulls', { type: 'status', status: 409, detail: 'pull request already exists for these targets' });
    expect(error.message).toBe('forge codeberg (forgejo): POST /repos/acme/web/pulls failed: HTTP 409 (pull request already exists for these targets)');
    expect(error.hint).toBe('the forge refused the request; see its message above');
  });

  it.each([
    [300, '0.3 s'],
    [2500, '2.5 s'],
    [10_000, '10 s'],
  ])('a timeout of %i ms reads "%s" and points at api_url', (timeoutMs, text) => {
    const error = forgeError(FJ, CALL, { type: 'timeout', timeoutMs });
    expect(error.message).toBe(`forge codeberg (forgejo): GET /repos/acme/web/issues/42 got no answer within ${text}`);
    expect(error.hint).toBe("check that https://codeberg.org/api/v1 is the forge's API (forges.codeberg.api_url) and reachable from here, or retry later");
  });

  it('a network failure names api_url', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const error = forgeError(GH, CALL, { type: 'network', detail: cause.message }, cause);
    expect(error.message).toBe('forge github (github): GET /repos/acme/web/issues/42 could not reach https://api.github.com: connect ECONNREFUSED 127.0.0.1:1');
    expect(error.hint).toBe('check forges.github.api_url (or url), DNS and your network connection');
    expect(error.cause).toBe(cause);
  });

  it('an answer of the wrong shape points at kind and api_url', () => {
    const error = forgeError(FJ, CALL, { type: 'invalid', detail: 'labels.0.id: expected number' });
    expect(error.message).toBe('forge codeberg (forgejo): GET /repos/acme/web/issues/42 returned an answer agentctl does not understand: labels.0.id: expected number');
    expect(error.hint).toBe('check that forges.codeberg.kind (forgejo) and api_url (https://codeberg.org/api/v1) point at a forgejo API');
  });

  it('never repeats the token, even when the server echoes it, and shortens long answers', () => {
    for (const status of [400, 401, 403, 404, 422, 500]) {
      const error = forgeError(GH, CALL, { type: 'status', status, detail: `token ${TOKEN} is not valid ${'x'.repeat(500)}` });
      expect(error.message).not.toContain(TOKEN);
      expect(error.hint ?? '').not.toContain(TOKEN);
      expect(error.message).toContain('token [REDACTED] is not valid');
      expect(error.message.length).toBeLessThan(400);
    }
    const network = forgeError(GH, CALL, { type: 'network', detail: `bad header: token ${TOKEN}` });
    expect(network.message).not.toContain(TOKEN);
  });
});
