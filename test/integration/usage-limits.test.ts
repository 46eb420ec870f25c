import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, type Forge } from '../support/git-fixtures.js';
import { events, ms, setup as setupHome, statusJson, until, type Run } from '../support/limit-agents.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, testEngines } from '../support/test-engines.js';

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

const setup = (engine: { hostVar: string; url: string }) => setupHome(forge.url, engine);

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
    // The reset the agent named, 10 s after it printed it (room for a slow engine to report the exit): the limit event comes after the print.
    expect(ms(run.notBefore as string) - ms(limited?.at as string)).toBeGreaterThan(0);
    expect(ms(run.notBefore as string) - ms(limited?.at as string)).toBeLessThanOrEqual(10_000);
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
});
