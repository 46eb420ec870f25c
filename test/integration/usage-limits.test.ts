import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Agents stopped by their provider's usage or rate limit, on real engines:
 * scripted agents print each CLI's real limit output (claude's stream-json
 * rate_limit_event and error result, codex's exec --json 429 after its
 * retries, gemini's stream-json quota error result) and exit 1 as the CLIs
 * do. The run goes back to the queue until the window (the reset named, or
 * the backoff), its pool is paused meanwhile, no fast failure is counted,
 * and after the window the run starts again in the same workspace and
 * completes. Each agent stops at its limit on its first run only: it leaves
 * a mark in its checkout, which a retry in the same workspace finds.
 */

let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'web', { 'README.md': '# web\n' });
});
afterAll(() => forge.cleanup());

const MARK = '/workspace/repo/.limit-seen';
const once = (limit: string, done: string) => `if [ -f ${MARK} ]; then echo '${done}'; exit 0; fi; touch ${MARK}; ${limit}; exit 1`;

/** claude 2.1.197 in stream-json: the rejected rate_limit_event with the exact reset (epoch seconds), then its error result. */
const claudeLimit = (secondsAhead: string) =>
  [
    `r=$(( $(date +%s) + ${secondsAhead} ))`,
    `echo '{"type":"system","subtype":"init","session_id":"s"}'`,
    `echo "{\\"type\\":\\"rate_limit_event\\",\\"rate_limit_info\\":{\\"status\\":\\"rejected\\",\\"resetsAt\\":$r,\\"rateLimitType\\":\\"five_hour\\"},\\"session_id\\":\\"s\\"}"`,
    `echo '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"You’ve hit your session limit · resets 3pm (UTC)","session_id":"s"}'`,
  ].join('; ');

/** codex 0.169.0 exec --json with an API key, as it printed here: a 429 after its own retries, then exit 1. */
const CODEX_429 = [
  `echo '{"type":"thread.started","thread_id":"t"}'`,
  `echo '{"type":"turn.started"}'`,
  `echo '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}'`,
  `echo '{"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}'`,
].join('; ');

/** gemini 0.61.0 in stream-json, as it printed here for a 429 with a per-day quota: its error result, then exit 173. */
const GEMINI_QUOTA = [
  `echo '{"type":"init","timestamp":"2026-12-07T11:43:17.165Z","session_id":"s","model":"auto"}'`,
  `echo '{"type":"result","timestamp":"2026-12-07T11:43:17.237Z","status":"error","error":{"type":"unknown","message":"[API Error: You have exhausted your daily quota on this model.]\\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"},"stats":{"total_tokens":0}}'`,
  'exit 173',
].join('; ');

const agent = (pool: string, script: string) => `    command: ${JSON.stringify(['sh', '-c', script])}\n    pool: ${pool}\n`;

function setup(engine: { hostVar: string; url: string }): { env: Record<string, string>; state: string } {
  const home = makeTempDir('usage-limit');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
forges:
  f:
    kind: forgejo
    url: ${forge.url}
runtime:
  image: ${TEST_IMAGE}
qa:
  enabled: false
backoff:
  threshold: 1
usage_limits:
  backoff_seconds: 2
  max_requeues: 3
agents:
  claudelimit:
${agent('claude', once(claudeLimit('4'), '{"type":"result","subtype":"success","is_error":false,"result":"done"}'))}  codexlimit:
${agent('codex', once(CODEX_429, '{"type":"turn.completed"}'))}  geminilimit:
${agent('gemini', once(GEMINI_QUOTA, '{"type":"result","status":"success"}'))}  liar:
${agent('liar', once(claudeLimit('315360000'), 'done'))}  always:
${agent('always', `${claudeLimit('1')}; exit 1`)}`,
  );
  const state = join(home, 'state');
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url }, state };
}

interface Run {
  workspace: string;
  state: string;
  runCount: number;
  reason?: string;
  waitingFor?: string;
  notBefore?: string;
  usageLimit?: { what: string; until: string; by: string; capped: boolean };
  limitRequeues?: number;
}
interface Pool {
  pool: string;
  queued: number;
  pausedSeconds: number;
  pausedUntil: string | null;
  pausedFor: string | null;
  fastFails: number;
}
interface Status {
  runs: Run[];
  pools: Pool[];
}

function statusJson(env: Record<string, string>): Status {
  const result = runCli(['status', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(env: Record<string, string>, done: (s: Status) => boolean, seconds = 90): Promise<Status> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const status = statusJson(env);
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out; last status: ${JSON.stringify(status.runs.map((r) => [r.state, r.reason, r.waitingFor]))}`);
    await sleep(250);
  }
}

function events(state: string): Array<Record<string, any>> {
  const path = join(state, 'events.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>) : [];
}

const ms = (iso: string) => new Date(iso).getTime();

describe.each(engines)('an agent stopped by its usage limit, on $name', (engine) => {
  if (!requireEngine(engine)) return;
  const dispatch = (env: Record<string, string>, agentName: string, ...more: string[]) =>
    runCli(['dispatch', '--repo', 'acme/web', '--branch', `try-${agentName}`, '--task', 'work', '--agent', agentName, '--runtime', engine.name, ...more], env);

  it('claude with a reset time: requeued until that time, pool paused, no fast failure; then it starts again in the same workspace and completes', async () => {
    const { env, state } = setup(engine);
    expect(dispatch(env, 'claudelimit').code).toBe(0);
    const waiting = await until(env, (s) => s.runs[0]?.state === 'queued' && s.runs[0].notBefore !== undefined);
    const run = waiting.runs[0] as Run;
    const limited = events(state).find((e) => e.type === 'usage-limit');
    expect(limited).toMatchObject({ agent: 'claudelimit', pool: 'claude', what: 'claude usage limit', by: 'reset', capped: false, until: run.notBefore });
    // The reset the agent named, 4 s after it printed it: the limit event is written within a moment of that.
    expect(ms(run.notBefore as string) - ms(limited?.at as string)).toBeGreaterThan(0);
    expect(ms(run.notBefore as string) - ms(limited?.at as string)).toBeLessThanOrEqual(5000);
    expect(run.waitingFor).toMatch(/^waiting for usage window until \d\d:\d\d \(claude usage limit\)/);
    expect(run.usageLimit).toMatchObject({ what: 'claude usage limit', by: 'reset' });
    expect(waiting.pools.find((p) => p.pool === 'claude')).toMatchObject({ queued: 1, pausedUntil: run.notBefore, pausedFor: 'claude usage limit', fastFails: 0 });

    const done = await until(env, (s) => s.runs[0]?.state === 'completed');
    expect(done.runs[0]).toMatchObject({ workspace: run.workspace, runCount: 2, limitRequeues: 1 });
    const started = events(state).filter((e) => e.type === 'started');
    expect(started).toHaveLength(2);
    expect(ms(started[1]?.at as string)).toBeGreaterThanOrEqual(ms(run.notBefore as string));
    expect(done.pools.find((p) => p.pool === 'claude')).toMatchObject({ fastFails: 0 });
  }, 120_000);

  it.each([
    ['codex', 'codexlimit', 'codex rate limit (HTTP 429)'],
    ['gemini', 'geminilimit', 'gemini quota'],
  ])('%s without a reset time: requeued for the backoff, and dispatch --wait waits through it and says why', (pool, agentName, what) => {
    const { env, state } = setup(engine);
    const result = dispatch(env, agentName, '--wait', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`waiting for usage window until`);
    expect(result.stderr).toContain(`(${what})`);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: 'completed', runCount: 2 });
    const limited = events(state).find((e) => e.type === 'usage-limit');
    expect(limited).toMatchObject({ pool, what, by: 'backoff', capped: false });
    // usage_limits.backoff_seconds: 2, the first limit in a row.
    expect(ms(limited?.until as string) - ms(limited?.at as string)).toBeGreaterThanOrEqual(1900);
    expect(ms(limited?.until as string) - ms(limited?.at as string)).toBeLessThanOrEqual(2100);
    const started = events(state).filter((e) => e.type === 'started');
    expect(ms(started[1]?.at as string)).toBeGreaterThanOrEqual(ms(limited?.until as string));
    expect(statusJson(env).pools.find((p) => p.pool === pool)).toMatchObject({ fastFails: 0, pausedSeconds: 0 });
  }, 120_000);

  it('hostile: a reset ten years ahead is capped at usage_limits.max_wait_minutes, and pool resume lifts the pause', async () => {
    const { env } = setup(engine);
    expect(dispatch(env, 'liar').code).toBe(0);
    const waiting = await until(env, (s) => s.runs[0]?.state === 'queued' && s.runs[0].notBefore !== undefined);
    const run = waiting.runs[0] as Run;
    const day = 24 * 3600 * 1000;
    expect(Math.abs(ms(run.notBefore as string) - (Date.now() + day))).toBeLessThan(60_000);
    expect(run.usageLimit).toMatchObject({ by: 'reset', capped: true });
    expect(waiting.pools.find((p) => p.pool === 'liar')?.pausedSeconds).toBeGreaterThan(23 * 3600);

    const resumed = runCli(['pool', 'resume', 'liar'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = await until(env, (s) => s.runs[0]?.state === 'completed');
    expect(done.runs[0]).toMatchObject({ runCount: 2 });
  }, 120_000);

  it('hostile: an agent that names a reset a second away on every run is retried no faster than the backoff, and fails after max_requeues', async () => {
    const { env, state } = setup(engine);
    expect(dispatch(env, 'always').code).toBe(0);
    const done = await until(env, (s) => s.runs[0]?.state === 'failed', 120);
    expect(done.runs[0]?.reason).toMatch(/stopped at its claude usage limit 4 times in a row: not put back in the queue again/);
    const all = events(state);
    const limits = all.filter((e) => e.type === 'usage-limit');
    const starts = all.filter((e) => e.type === 'started');
    expect(limits).toHaveLength(3);
    expect(starts).toHaveLength(4);
    // The first honours the reset named (about a second); then 2 s, 4 s: the doubling backoff, however near the named reset.
    const waits = limits.map((e) => ms(e.until as string) - ms(e.at as string));
    expect(waits[1]).toBeGreaterThanOrEqual(2000 - 50);
    expect(waits[2]).toBeGreaterThanOrEqual(4000 - 50);
    limits.forEach((limit, i) => expect(ms(starts[i + 1]?.at as string)).toBeGreaterThanOrEqual(ms(limit.until as string)));
    expect(done.pools.find((p) => p.pool === 'always')).toMatchObject({ fastFails: 0 });
  }, 180_000);
});
