import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../src/cli/commands/dispatch.js';
import { run as status } from '../../src/cli/commands/status.js';
import { jsonLines, manualClock, readJson, ScriptedRuntime, useCommandHarness } from '../fakes/command-harness.js';
import { FakeAgentBackend } from '../fakes/fake-agent-backend.js';
import { fakeRegistry } from '../fakes/fake-registry.js';

const h = useCommandHarness();

/**
 * The requeue of a run stopped at its usage limit, through the run port's
 * fake and a clock of the test's own: the wait is decided, the pool paused,
 * the run started again in the same workspace once the clock passes the
 * window, and a run that meets its limit every time ends.
 */
function scene(config = 'qa:\n  enabled: false\nusage_limits:\n  backoff_seconds: 60\n  max_requeues: 2\n') {
  const clock = manualClock();
  const backend = new FakeAgentBackend('docker', () => clock.now().getTime());
  const d = h.setup(fakeRegistry([new ScriptedRuntime('docker')]), { backend, config });
  d.clock = clock;
  const ws = h.workspaceOf(d, 'task-1');
  const look = async () => {
    expect(await status({ json: true }, d)).toBe(0);
    return readJson(join(ws, '.meta', 'status.json'));
  };
  const pool = () => (readJson(join(d.state, 'state', 'scheduler.json')).pools as Record<string, Record<string, unknown>>).codex;
  return { backend, d, ws, clock, look, pool };
}

const epoch = (date: Date, seconds: number) => Math.floor(date.getTime() / 1000) + seconds;

describe('a run stopped at its usage limit, through the run port', () => {
  it('waits in the queue until the reset, with its pool paused, then starts again in the same workspace', async () => {
    const { backend, d, ws, clock, look, pool } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    const reset = epoch(clock.now(), 300);
    backend.say(ws, `Claude AI usage limit reached|${reset}\n`);
    backend.exit('agent-1', 1);
    const queued = await look();
    expect(queued).toMatchObject({
      state: 'queued',
      notBefore: new Date(reset * 1000).toISOString(),
      usageLimit: { what: 'claude usage limit', by: 'reset', capped: false },
      limitRequeues: 1,
    });
    expect(queued.containerId).toBeUndefined();
    expect(pool()).toMatchObject({ fastFails: 0, pausedUntil: new Date(reset * 1000).toISOString(), pausedFor: 'claude usage limit', limitHits: 1 });
    expect(backend.released).toEqual(['agent-1']);

    clock.advance(299);
    expect((await look()).state).toBe('queued');
    expect(backend.started).toHaveLength(1);
    clock.advance(1);
    expect((await look()).state).toBe('running');
    expect(backend.started.map((s) => [s.job.workspace, s.runCount])).toEqual([
      [ws, 1],
      [ws, 2],
    ]);
    backend.exit('agent-2', 0);
    expect(await look()).toMatchObject({ state: 'completed', runCount: 2, limitRequeues: 1 });
    // A run that got past its provider ends the row of limits.
    expect(pool()?.limitHits).toBeUndefined();
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).filter((e) => e.type === 'usage-limit')).toHaveLength(1);
  });

  it('without a reset, backs off and doubles; after max_requeues it fails, saying so, and is no fast failure', async () => {
    const { backend, d, ws, clock, look, pool } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    const waits: number[] = [];
    for (const id of ['agent-1', 'agent-2']) {
      backend.say(ws, '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}\n');
      backend.exit(id, 1);
      const queued = await look();
      expect(queued.state).toBe('queued');
      waits.push((new Date(queued.notBefore as string).getTime() - clock.now().getTime()) / 1000);
      clock.advance(waits.at(-1) as number);
      expect((await look()).state).toBe('running');
    }
    expect(waits).toEqual([60, 120]);
    backend.say(ws, '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}\n');
    backend.exit('agent-3', 1);
    const final = await look();
    expect(final).toMatchObject({
      state: 'failed',
      reason: 'the agent stopped at its codex rate limit (HTTP 429) 3 times in a row: not put back in the queue again',
      hint: expect.stringContaining('usage_limits.max_requeues (now 2)'),
    });
    expect(pool()).toMatchObject({ fastFails: 0 });
  });

  it("an agent's own usage_limits override the global ones", async () => {
    const { backend, d, ws, clock, look } = scene('qa:\n  enabled: false\nusage_limits:\n  backoff_seconds: 60\nagents:\n  codex:\n    usage_limits:\n      backoff_seconds: 5\n      max_wait_minutes: 1\n');
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    backend.say(ws, '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}\n');
    backend.exit('agent-1', 1);
    expect((await look()).notBefore).toBe(new Date(clock.now().getTime() + 5000).toISOString());
    clock.advance(5);
    expect((await look()).state).toBe('running');
    backend.say(ws, `Claude AI usage limit reached|${epoch(clock.now(), 86_400)}\n`);
    backend.exit('agent-2', 1);
    expect(await look()).toMatchObject({ notBefore: new Date(clock.now().getTime() + 60_000).toISOString(), usageLimit: { capped: true } });
  });

  it('a question wins over a limit message: the run is blocked, not requeued', async () => {
    const { backend, d, ws, look } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    backend.say(ws, 'Claude AI usage limit reached|1\n');
    backend.leave(ws, 'question', 'Which database?\n');
    backend.exit('agent-1', 1);
    expect(await look()).toMatchObject({ state: 'blocked', question: 'Which database?' });
  });
});
