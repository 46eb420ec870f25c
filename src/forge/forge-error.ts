import { AgentctlError, ExitCode } from '../core/errors.js';

/** Who failed: enough to name the forge and its config, and the token to keep out of messages. */
export interface ForgeErrorContext {
  key: string;
  kind: 'github' | 'forgejo' | 'gitea';
  apiUrl: string;
  /** Name of the variable in forges.<key>.token_env, if configured. */
  tokenEnv?: string | undefined;
  /** The token itself, only ever used to scrub it from what the server said. */
  token?: string | undefined;
}

/** How a call failed. */
export type ForgeFailure =
  | {
      type: 'status';
      status: number;
      headers?: Headers | Record<string, string | number | undefined>;
      /** What the server said (its "message"), shown shortened. */
      detail?: string | undefined;
    }
  | { type: 'timeout'; timeoutMs: number }
  | { type: 'network'; detail: string }
  | { type: 'invalid'; detail: string };

function header(failure: ForgeFailure & { type: 'status' }, name: string): string | undefined {
  const h = failure.headers;
  if (h === undefined) return undefined;
  if (h instanceof Headers) return h.get(name) ?? undefined;
  const value = Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return value === undefined ? undefined : String(value);
}

/** Seconds to wait, from retry-after (seconds or HTTP date) or x-ratelimit-reset (epoch seconds); undefined when not rate limited. */
function rateLimitWait(failure: ForgeFailure & { type: 'status' }, now: number): number | undefined {
  const retryAfter = header(failure, 'retry-after');
  const remaining = header(failure, 'x-ratelimit-remaining');
  const reset = header(failure, 'x-ratelimit-reset');
  const secondary = /rate limit/i.test(failure.detail ?? '');
  if (failure.status !== 429 && !(failure.status === 403 && (retryAfter !== undefined || remaining === '0' || secondary))) return undefined;
  if (retryAfter !== undefined) {
    const seconds = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : (Date.parse(retryAfter) - now) / 1000;
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  }
  if (remaining === '0' && reset !== undefined && /^\d+$/.test(reset.trim())) return Math.max(0, Math.ceil(Number(reset) - now / 1000));
  // GitHub: with neither header, wait at least a minute.
  return 60;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

function scrub(text: string, ctx: ForgeErrorContext): string {
  let out = text.replace(/\s+/g, ' ').trim();
  if (ctx.token !== undefined && ctx.token.length > 0) out = out.split(ctx.token).join('[REDACTED]');
  return out.length > 200 ? `${out.slice(0, 197)}...` : out;
}

function tokenHint(ctx: ForgeErrorContext): string {
  const where = `forges.${ctx.key}.token_env`;
  if (ctx.tokenEnv === undefined) return `no token is configured: set ${where} to the name of an environment variable and put a ${ctx.kind} API token in it`;
  if (ctx.token === undefined || ctx.token === '') return `${ctx.tokenEnv} (named in ${where}) is not set: export ${ctx.tokenEnv}=<a ${ctx.kind} API token>`;
  return `the token in ${ctx.tokenEnv} (named in ${where}) was rejected: it may be mistyped, expired or revoked; put a valid ${ctx.kind} API token in it`;
}

function permissionHint(ctx: ForgeErrorContext): string {
  const who = ctx.tokenEnv === undefined ? 'the request (no token is configured)' : `the token in ${ctx.tokenEnv}`;
  return ctx.kind === 'github'
    ? `${who} lacks permission: a classic token needs the "repo" scope (or "public_repo"); a fine-grained token needs read/write on Issues and Pull requests for this repo`
    : `${who} lacks permission: it needs the write:issue and write:repository scopes and write access to the repo (and time tracking must be enabled for stopwatches)`;
}

/**
 * Turn a failed forge call into the error agentctl prints: which forge, which
 * call, what happened, and what to do about it. Never contains the token.
 */
export function forgeError(ctx: ForgeErrorContext, call: string, failure: ForgeFailure, cause?: unknown, now: number = Date.now()): AgentctlError {
  const who = `forge ${ctx.key} (${ctx.kind})`;
  const make = (what: string, hint: string) =>
    new AgentctlError('forge_error', `${who}: ${call} ${what}`, { exitCode: ExitCode.forge, hint, cause });

  switch (failure.type) {
    case 'timeout':
      return make(
        `got no answer within ${seconds(failure.timeoutMs)}`,
        `check that ${ctx.apiUrl} is the forge's API (forges.${ctx.key}.api_url) and reachable from here, or retry later`,
      );
    case 'network':
      return make(
        `could not reach ${ctx.apiUrl}: ${scrub(failure.detail, ctx)}`,
        `check forges.${ctx.key}.api_url (or url), DNS and your network connection`,
      );
    case 'invalid':
      return make(
        `returned an answer agentctl does not understand: ${scrub(failure.detail, ctx)}`,
        `check that forges.${ctx.key}.kind (${ctx.kind}) and api_url (${ctx.apiUrl}) point at a ${ctx.kind} API`,
      );
    case 'status':
      break;
  }
  const status = failure.status;
  const said = failure.detail === undefined || failure.detail.trim() === '' ? '' : ` (${scrub(failure.detail, ctx)})`;
  const wait = rateLimitWait(failure, now);
  if (wait !== undefined) {
    return make(`failed: HTTP ${status}, rate limited; retry after ${wait} s${said}`, `wait ${wait} s and run it again${ctx.token ? '' : `; ${tokenHint(ctx)} to get a higher limit`}`);
  }
  if (status === 401) return make(`failed: HTTP 401, the token is missing or invalid${said}`, tokenHint(ctx));
  if (status === 403) return make(`failed: HTTP 403, the token lacks permission${said}`, permissionHint(ctx));
  if (status === 404) {
    return make(
      `failed: HTTP 404, not found${said}`,
      `check the repo name and the issue/PR number; a private repo also answers 404 when ${ctx.tokenEnv === undefined ? 'no token is sent' : `the token in ${ctx.tokenEnv} cannot see it`}`,
    );
  }
  if (status >= 500) return make(`failed: HTTP ${status}, the forge is failing${said}`, `${ctx.apiUrl} answered with a server error; retry later`);
  return make(`failed: HTTP ${status}${said}`, `the forge refused the request; see its message above`);
}
