import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as cancel } from '../../src/cli/commands/cancel.js';
import { run as dispatch } from '../../src/cli/commands/dispatch.js';
import { run as status } from '../../src/cli/commands/status.js';
import { writeJsonAtomic } from '../../src/fs/atomic-write.js';
import { jsonLines, manualClock, readJson, ScriptedRuntime, until, useCommandHarness } from '../fakes/command-harness.js';
import { FakeAgentBackend } from '../fakes/fake-agent-backend.js';
import { fakeRegistry } from '../fakes/fake-registry.js';

const h = useCommandHarness();

/**
 * The run services (launch, reconcile, stop, finish) over the run port's
 * fake: an agent with no engine behind it and an outbox in memory. The
 * engine the dispatch chose is never asked to start anything, and what lies
 * in the workspace's own outbox/ on disk never decides a run.
 */
function scene(options: { config?: string } = {}) {
  const docker = new ScriptedRuntime('docker');
  const clock = manualClock();
  const backend = new FakeAgentBackend('docker', () => clock.now().getTime());
  const d = h.setup(fakeRegistry([docker]), { backend, ...options });
  d.clock = clock;
  const ws = h.workspaceOf(d, 'task-1');
  return { docker, backend, d, ws, clock };
}

describe('runs through the run port', () => {
  it('start, output, end, work and release all go through the port; the engine itself starts nothing', async () => {
    const { docker, backend, d, ws } = scene();
    const waiting = dispatch({ repo: 'acme/web', issue: '1', wait: true, json: true }, d);
    await until(() => backend.started.length === 1);
    backend.say(ws, 'working on it\n');
    backend.exit('agent-1', 0);
    expect(await waiting).toBe(0);
    expect(docker.started).toEqual([]);
    expect(backend.started.map((s) => [s.job.workspace, s.runCount])).toEqual([[ws, 1]]);
    expect(backend.collected).toEqual([ws]);
    expect(backend.released).toEqual(['agent-1']);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'completed', exitCode: 0, containerId: 'agent-1', runtime: 'docker' });
    expect(backend.outbox(ws, 'codex').read('log', 1024)?.text).toMatch(/^=== agentctl run 1: codex started .* ===\nworking on it\n$/);
  });

  it("takes the exit code and the question from the port, never from files planted in the workspace's own outbox/", async () => {
    const { backend, d, ws } = scene();
    const waiting = dispatch({ repo: 'acme/web', issue: '1', wait: true, json: true }, d);
    await until(() => backend.started.length === 1);
    mkdirSync(join(ws, 'outbox'), { recursive: true });
    writeFileSync(join(ws, 'outbox', 'exit-code'), '0\n');
    writeFileSync(join(ws, 'repo', 'BLOCKED.md'), 'a question nobody asked through the port\n');
    backend.exit('agent-1', 3);
    expect(await waiting).toBe(10);
    const final = readJson(join(ws, '.meta', 'status.json'));
    expect(final).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(final.question).toBeUndefined();
  });

  it("a question the agent leaves blocks the run with that question", async () => {
    const { backend, d, ws } = scene();
    const waiting = dispatch({ repo: 'acme/web', issue: '1', wait: true, json: true }, d);
    await until(() => backend.started.length === 1);
    backend.leave(ws, 'question', 'Which database?\n');
    backend.exit('agent-1', 0);
    expect(await waiting).toBe(11);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'blocked', question: 'Which database?' });
  });

  it('an agent silent past --idle-timeout is stopped through the port, judged by when its outbox log last changed', async () => {
    const { backend, d, ws, clock } = scene();
    const waiting = dispatch({ repo: 'acme/web', issue: '1', wait: true, json: true, idleTimeout: '60' }, d);
    await until(() => backend.started.length === 1);
    clock.advance(50);
    backend.say(ws, 'still here\n');
    clock.advance(50);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(backend.stopped).toEqual([]);
    clock.advance(11);
    expect(await waiting).toBe(10);
    expect(backend.stopped).toEqual([{ id: 'agent-1', graceSeconds: 5 }]);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'failed', reason: 'idle', stopReason: 'idle' });
  });

  it("the adapter's start warnings land in the status and the events", async () => {
    const { backend, d, ws } = scene();
    backend.startWarnings = ['agent codex runs without a sandbox'];
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'running', warnings: ['agent codex runs without a sandbox'] });
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).filter((e) => e.type === 'warning')).toMatchObject([{ message: 'agent codex runs without a sandbox' }]);
  });

  it('a start the port refuses ends the run as failed, naming why', async () => {
    const { backend, d, ws } = scene();
    backend.startError = new Error('no such image');
    await expect(dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).rejects.toThrow('no such image');
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'failed', reason: 'could not start the agent: no such image' });
  });

  it('a cancel stops the agent through the port and ends the run cancelled', async () => {
    const { backend, d, ws } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    expect(await cancel({ args: ['acme/web/task-1'], json: true }, d)).toBe(0);
    expect(backend.stopped).toEqual([{ id: 'agent-1', graceSeconds: 5 }]);
    expect(backend.released).toEqual(['agent-1']);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'cancelled' });
  });

  it('an observe that keeps throwing while the agent runs does not stop the timeout or a cancel: the agent is stopped and the run ends', async () => {
    const { backend, d, ws, clock } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true, timeout: '60' }, d)).toBe(0);
    backend.observeError = new Error("ENAMETOOLONG: name too long, open '.../outbox/deep'");
    clock.advance(61);
    await status({ args: ['acme/web/task-1'], json: true }, d).catch(() => undefined);
    expect(backend.stopped).toEqual([{ id: 'agent-1', graceSeconds: 5 }]);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'failed', stopReason: 'timeout' });

    const second = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, second.d)).toBe(0);
    second.backend.observeError = new Error('EINVAL: invalid argument, futime');
    await cancel({ args: ['acme/web/task-1'], json: true }, second.d).catch(() => undefined);
    expect(second.backend.stopped).toEqual([{ id: 'agent-1', graceSeconds: 5 }]);
    expect(readJson(join(second.ws, '.meta', 'status.json'))).toMatchObject({ state: 'cancelled' });
  });

  it('a run whose starter died before recording its agent is finished with the exit code the port found', async () => {
    const { backend, d, ws, clock } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    // As if the process that claimed the slot died between the start and the status write.
    const claimed = { ...readJson(join(ws, '.meta', 'status.json')), containerId: undefined, claimedBy: 2 ** 22 + 1 };
    writeJsonAtomic(join(ws, '.meta', 'status.json'), claimed);
    backend.orphans.set(ws, { exitCode: 4 });
    clock.advance(60);
    expect(await status({ args: ['acme/web/task-1'], json: true }, d)).toBe(0);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'failed', exitCode: 4 });
  });

  it('a cancel while the agent is starting waits for the start, then stops that agent: none is left running', async () => {
    const { backend, d, ws } = scene();
    let open = () => {};
    backend.startGate = new Promise((resolve) => {
      open = resolve;
    });
    const dispatching = dispatch({ repo: 'acme/web', issue: '1', json: true }, d);
    await until(() => backend.started.length === 1);
    const cancelling = cancel({ args: ['acme/web/task-1'], json: true }, d);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'running', claimedBy: process.pid });
    open();
    expect(await dispatching).toBe(0);
    expect(await cancelling).toBe(0);
    expect(backend.stopped).toEqual([{ id: 'agent-1', graceSeconds: 5 }]);
    expect((await backend.agents()).filter((agent) => agent.running)).toEqual([]);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'cancelled', containerId: 'agent-1' });
  });

  it("stops and removes an agent no run claims, and leaves another state home's agents alone", async () => {
    const { backend, d, ws } = scene();
    expect(await dispatch({ repo: 'acme/web', issue: '1', json: true }, d)).toBe(0);
    const stray = backend.plant(ws, 7);
    const foreign = backend.plant('/somewhere/else/.agentctl/workspace/acme/web/task-1', 1);
    expect(await status({ json: true }, d)).toBe(0);
    expect(backend.stopped).toEqual([{ id: stray, graceSeconds: 5 }]);
    expect(backend.removed).toEqual([stray]);
    expect((await backend.agents()).map((agent) => agent.ref.containerId).sort()).toEqual(['agent-1', foreign].sort());
    expect(d.io.stderr).toContain(`warning: stopped agent ${stray} of ${ws} (run 7): no run claims it (the run is running)\n`);
    expect(jsonLines(join(d.state, 'events.jsonl')).filter((e) => e.type === 'unclaimed-agent')).toMatchObject([{ of: ws, agent: stray, runCount: 7 }]);
  });
});
