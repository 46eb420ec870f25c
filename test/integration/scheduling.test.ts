import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli, type CliResult } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const AGENTS = `agents:
  nap:
    command: [sh, -c, 'sleep 1']
  long:
    command: [sh, -c, 'sleep 3']
  crash:
    command: [sh, -c, 'exit 1']
    pool: crashers
  hang:
    command: [sh, -c, 'trap "" TERM; while true; do sleep 1; done']
  sleeper:
    command: [sh, -c, 'sleep 300']
`;

let forge: Forge;
const podman = (await testEngines()).find((engine) => engine.name === 'podman');

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'q', { 'README.md': '# q\n' });
});
afterAll(() => forge.cleanup());

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function runAsync(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('scheduling on a real podman engine', () => {
  if (podman === undefined || !requireEngine(podman)) return;
  const runtime = podman.runtime;

  function setup(extra = ''): { env: Record<string, string>; state: string } {
    const home = makeTempDir('sched');
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n  prefer: podman\n${AGENTS}${extra}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, CONTAINER_HOST: podman!.url, DOCKER_HOST: 'unix:///nonexistent.sock' }, state };
  }

  function statusJson(env: Record<string, string>): { frozen: boolean; runs: Array<Record<string, any>>; pools: Array<Record<string, any>>; queue: string[] } {
    const result = runCli(['status', '--json'], env);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  }

  async function until(env: Record<string, string>, done: (s: ReturnType<typeof statusJson>) => boolean, seconds = 60) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const status = statusJson(env);
      if (done(status)) return status;
      if (Date.now() > deadline) throw new Error(`timed out; last status: ${JSON.stringify(status.runs.map((r) => [r.workspace, r.state, r.reason]))}`);
      await sleep(500);
    }
  }

  function events(state: string): Array<Record<string, any>> {
    const path = join(state, 'events.jsonl');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
  }

  it('20 racing dispatches against a pool of limit 2 never run three at once, and all finish', async () => {
    const { env, state } = setup('pools:\n  nap:\n    limit: 2\n');
    let maxRunning = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // Podman's list can fail while a container exits ("read /proc/N/cgroup: no such process"): the next look counts.
        const containers = await runtime.list({ 'dev.agentctl.agent': 'nap' }).catch(() => []);
        const running = containers.filter((c) => c.running && c.labels['dev.agentctl.workspace']?.startsWith(state)).length;
        maxRunning = Math.max(maxRunning, running);
        await sleep(40);
      }
    })();
    let final: Awaited<ReturnType<typeof until>>;
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => runAsync(['dispatch', '--repo', 'acme/q', '--issue', String(i + 1), '--agent', 'nap'], env)),
      );
      expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
      expect(results.filter((r) => r.stderr.includes('queued nap')).length).toBeGreaterThanOrEqual(18);
      final = await until(env, (s) => s.runs.length === 20 && s.runs.every((r) => r.state === 'completed'), 120);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(maxRunning).toBeGreaterThanOrEqual(1);
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(final.runs.map((r) => r.runCount)).toEqual(Array(20).fill(1));
    const started = events(state).filter((e) => e.type === 'started');
    expect(started).toHaveLength(20);
    expect(new Set(started.map((e) => e.workspace)).size).toBe(20);
  }, 180_000);

  it('drains the queue by priority, then in order', async () => {
    const { env, state } = setup('pools:\n  long:\n    limit: 1\n  nap:\n    limit: 1\n    agents: [long, nap]\n');
    expect(runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'long'], env).code).toBe(0);
    // Every later dispatch queues behind the running one (same pool "long").
    for (const [issue, priority] of [['2', '0'], ['3', '0'], ['4', '5'], ['5', '0']] as const) {
      const result = runCli(['dispatch', '--repo', 'acme/q', '--issue', issue, '--agent', 'long', '--priority', priority], env);
      expect(result.stderr).toContain('queued long');
    }
    await until(env, (s) => s.runs.every((r) => r.state === 'completed'), 120);
    const order = events(state)
      .filter((e) => e.type === 'started')
      .map((e) => (e.workspace as string).split('/').at(-1));
    expect(order).toEqual(['task-1', 'task-4', 'task-2', 'task-3', 'task-5']);
  }, 180_000);

  it('three fast failures pause the pool; pool resume lifts it', async () => {
    const { env } = setup();
    for (const issue of ['1', '2', '3']) {
      const result = runCli(['dispatch', '--repo', 'acme/q', '--issue', issue, '--agent', 'crash', '--wait'], env);
      expect(result.code).toBe(10);
    }
    const queued = runCli(['dispatch', '--repo', 'acme/q', '--issue', '4', '--agent', 'crash'], env);
    expect(queued.stderr).toMatch(/queued crash on acme\/q \(issue #4\): pool crashers is paused for 30m after repeated fast failures/);
    const paused = statusJson(env);
    expect(paused.pools.find((p) => p.pool === 'crashers')).toMatchObject({ queued: 1, running: 0 });
    expect(paused.pools.find((p) => p.pool === 'crashers')?.pausedSeconds).toBeGreaterThan(1700);
    expect(runCli(['pool', 'resume', 'crashers'], env).stdout).toBe('pool crashers resumed\n');
    const done = await until(env, (s) => s.runs.find((r) => r.workspace.endsWith('task-4'))?.state === 'failed');
    expect(done.runs.find((r) => r.workspace.endsWith('task-4'))?.reason).toBe('agent exited with code 1');
  }, 120_000);

  it('stops a hanging agent at its timeout within the grace period, with reason timeout', async () => {
    const { env } = setup('timeouts:\n  grace: 1\n');
    const started = Date.now();
    const result = runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'hang', '--timeout', '2', '--wait', '--json'], env);
    const elapsed = (Date.now() - started) / 1000;
    expect(result.code).toBe(10);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(status.hint).toContain('--timeout 60');
    expect(elapsed).toBeLessThan(2 + 1 + 15);
    expect(await runtime.list({ 'dev.agentctl.workspace': status.workspace })).toEqual([]);
  }, 60_000);

  it('freeze queues new runs and thaw starts them', async () => {
    const { env } = setup();
    expect(runCli(['freeze'], env).stdout).toBe('frozen: no new runs will start; running ones go on\n');
    const queued = runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'nap'], env);
    expect(queued.stderr).toContain('queued nap on acme/q (issue #1): agentctl is frozen');
    const frozen = statusJson(env);
    expect(frozen.frozen).toBe(true);
    expect(frozen.runs.map((r) => r.state)).toEqual(['queued']);
    expect(runCli(['thaw'], env).code).toBe(0);
    await until(env, (s) => !s.frozen && s.runs[0]?.state === 'completed');
  }, 60_000);

  it('cancels a queued run and a running one', async () => {
    const { env, state } = setup();
    expect(runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'sleeper'], env).code).toBe(0);
    expect(runCli(['dispatch', '--repo', 'acme/q', '--issue', '2', '--agent', 'sleeper'], env).stderr).toContain('queued sleeper');
    const queuedWs = join(state, 'workspace', 'acme', 'q', 'task-2');
    const runningWs = join(state, 'workspace', 'acme', 'q', 'task-1');
    expect(runCli(['cancel', queuedWs], env).stdout).toBe(`cancelled ${queuedWs}\n`);
    const cancelled = runCli(['cancel', 'acme/q/task-1', '--json'], env);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
    const final = statusJson(env);
    expect(final.runs.map((r) => [r.workspace, r.state])).toEqual([
      [runningWs, 'cancelled'],
      [queuedWs, 'cancelled'],
    ]);
    expect(await runtime.list({ 'dev.agentctl.workspace': runningWs })).toEqual([]);
  }, 60_000);

  it('gc removes finished workspaces and keeps live ones', async () => {
    const { env, state } = setup();
    expect(runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'nap', '--wait'], env).code).toBe(0);
    expect(runCli(['dispatch', '--repo', 'acme/q', '--issue', '2', '--agent', 'sleeper'], env).code).toBe(0);
    const finished = join(state, 'workspace', 'acme', 'q', 'task-1');
    const live = join(state, 'workspace', 'acme', 'q', 'task-2');
    const preview = runCli(['gc', '--older-than', '0s', '--dry-run'], env);
    expect(preview.stdout).toBe(`would remove ${finished}\n`);
    expect(existsSync(finished)).toBe(true);
    const result = runCli(['gc', '--older-than', '0s', '--json'], env);
    expect(JSON.parse(result.stdout)).toEqual({ dryRun: false, removed: [finished], kept: [live] });
    expect(existsSync(finished)).toBe(false);
    expect(existsSync(live)).toBe(true);
    runCli(['cancel', live], env);
  }, 60_000);

  describe('crash safety: agentctl killed with SIGKILL', () => {
    it('after the queued record: the run stays queued and later runs once', async () => {
      const { env, state } = setup();
      expect(runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'long'], env).code).toBe(0);
      const killed = runCli(['dispatch', '--repo', 'acme/q', '--issue', '2', '--agent', 'long'], { ...env, AGENTCTL_FAULT: 'after-queued' });
      expect(killed.code).toBe(-1);
      const after = JSON.parse(readFileSync(join(state, 'workspace', 'acme', 'q', 'task-2', '.meta', 'status.json'), 'utf8'));
      expect(after.state).toBe('queued');
      const final = await until(env, (s) => s.runs.length === 2 && s.runs.every((r) => r.state === 'completed'), 90);
      expect(final.runs.map((r) => r.runCount)).toEqual([1, 1]);
      expect(events(state).filter((e) => e.type === 'started')).toHaveLength(2);
    }, 120_000);

    /** Dispatch `agent` and have agentctl killed right after the container start: the run is claimed, its container unrecorded. */
    function killedAfterStart(agent: string): { env: Record<string, string>; state: string; ws: string } {
      const { env, state } = setup();
      const killed = runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', agent], { ...env, AGENTCTL_FAULT: 'after-start' });
      expect(killed.code).toBe(-1);
      const ws = join(state, 'workspace', 'acme', 'q', 'task-1');
      const claimed = JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8'));
      expect(claimed.state).toBe('running');
      expect(claimed.containerId).toBeUndefined();
      return { env, state, ws };
    }

    it('after the container start, before the status write: the container is adopted, not started again', async () => {
      const { env, ws } = killedAfterStart('long');
      expect(await runtime.list({ 'dev.agentctl.workspace': ws })).toHaveLength(1);
      const adopted = statusJson(env).runs[0];
      expect(adopted?.state === 'running' || adopted?.state === 'completed').toBe(true);
      const final = await until(env, (s) => s.runs[0]?.state === 'completed', 60);
      expect(final.runs[0]).toMatchObject({ runCount: 1, exitCode: 0 });
      expect(await runtime.list({ 'dev.agentctl.workspace': ws })).toEqual([]);
    }, 90_000);

    it('after the start of an agent that ends at once, before the status write: finished from the exit code it left, not started again', async () => {
      const { env, state, ws } = killedAfterStart('crash');
      // The engine removes the container as it exits: nothing is left to adopt.
      const deadline = Date.now() + 30_000;
      while ((await runtime.list({ 'dev.agentctl.workspace': ws })).length > 0 && Date.now() < deadline) await sleep(100);
      expect(await runtime.list({ 'dev.agentctl.workspace': ws })).toEqual([]);
      const final = statusJson(env);
      expect(final.runs[0]).toMatchObject({ state: 'failed', runCount: 1, exitCode: 1, reason: 'agent exited with code 1' });
      expect(events(state).filter((e) => e.type === 'finished')).toHaveLength(1);
    }, 60_000);

    it('during finishing: the next status finishes the run exactly once', async () => {
      const { env, state } = setup();
      const killed = runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'nap', '--wait'], { ...env, AGENTCTL_FAULT: 'during-finish' });
      expect(killed.code).toBe(-1);
      const ws = join(state, 'workspace', 'acme', 'q', 'task-1');
      expect(JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8')).state).toBe('running');
      const final = statusJson(env);
      expect(final.runs.map((r) => [r.state, r.exitCode, r.runCount])).toEqual([['completed', 0, 1]]);
      expect(events(state).filter((e) => e.type === 'finished')).toHaveLength(1);
    }, 60_000);
  });
});
