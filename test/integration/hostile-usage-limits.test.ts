import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, type Forge } from '../support/git-fixtures.js';
import { events, ms, setup as setupHome, until, type Run } from '../support/limit-agents.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, testEngines } from '../support/test-engines.js';

/**
 * A hostile agent and its limit messages, on real engines: the reset time
 * and the rate of retries are agentctl's to decide, not the agent's. A reset
 * named ten years ahead waits at most usage_limits.max_wait_minutes (and
 * pool resume still lifts it); an agent that names a reset a second away on
 * every run is retried no faster than the doubling backoff, and its run ends
 * failed, honestly named, after usage_limits.max_requeues, never counted as
 * a fast failure.
 */
let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'web', { 'README.md': '# web\n' });
});
afterAll(() => forge.cleanup());

const setup = (engine: { hostVar: string; url: string }) => setupHome(forge.url, engine);

describe.each(engines)('a hostile agent at its usage limit, on $name', (engine) => {
  if (!requireEngine(engine)) return;
  const dispatch = (env: Record<string, string>, agentName: string, ...more: string[]) =>
    runCli(['dispatch', '--repo', 'acme/web', '--branch', `try-${agentName}`, '--task', 'work', '--agent', agentName, '--runtime', engine.name, ...more], env);

  it('a reset ten years ahead is capped at usage_limits.max_wait_minutes, and pool resume lifts the pause', async () => {
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

  it('an agent that names a reset a second away on every run is retried no faster than the backoff, and fails after max_requeues', async () => {
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
