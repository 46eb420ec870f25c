import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as status } from '../../../src/cli/commands/status.js';
import { run as watch } from '../../../src/cli/commands/status-watch.js';
import { inkLoaded } from '../../../src/cli/dashboard/ink-loaded.js';
import type { RunStatus } from '../../../src/core/run/status.js';
import { cli, until } from '../../fakes/command-harness.js';
import { fakeDeps as makeDeps, type FakeDeps } from '../../fakes/fake-deps.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';

// This file never renders the dashboard: every test here must leave ink unloaded.

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function fixture(options: { isTTY?: boolean; stdinIsTTY?: boolean } = {}) {
  const docker = new FakeRuntime('docker');
  const d = makeDeps({ runtimes: fakeRegistry([docker]), isTTY: options.isTTY ?? false });
  d.io.stdinIsTTY = options.stdinIsTTY ?? false;
  homes.push(d.home);
  const write = (slot: string, overrides: Partial<RunStatus>) => {
    const ws = join(d.state, 'workspace', ...slot.split('/'));
    mkdirSync(join(ws, '.meta'), { recursive: true });
    mkdirSync(join(ws, 'outbox'), { recursive: true });
    const s: RunStatus = { version: 1, state: 'completed', workspace: ws, repo: 'acme/web', agent: 'codex', pool: 'codex', runtime: 'docker', runCount: 1, warnings: [], ...overrides };
    writeFileSync(join(ws, '.meta', 'status.json'), JSON.stringify(s));
    return ws;
  };
  write('acme/web/task-1', {
    startedAt: '2026-11-23T09:00:00.000Z',
    finishedAt: '2026-11-23T09:12:30.000Z',
    qa: { state: 'passed', commands: ['npm test'], log: '/x' },
    usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.42 },
    progress: ['All tests pass'],
  });
  write('acme/web/task-2', { state: 'blocked', agent: 'claude', pool: 'claude', runtime: 'host', question: 'Which database?\nMore.' });
  return { d, docker, write };
}

describe('status --watch without a terminal', () => {
  it('prints every run and pool once as plain lines and stops when nothing is queued or running, without loading ink', async () => {
    const { d } = fixture();
    expect(await watch({ watch: true }, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        '2026-11-23T10:00:00.000Z acme/web/task-1 state=completed agent=codex elapsed=12m30s cost=$0.42 qa=passed note="All tests pass"',
        '2026-11-23T10:00:00.000Z acme/web/task-2 state=blocked agent=claude elapsed=- cost=- qa=- note="Which database?"',
        '2026-11-23T10:00:00.000Z pool claude running=0/1 queued=0 backoff=-',
        '2026-11-23T10:00:00.000Z pool codex running=0/1 queued=0 backoff=-',
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe(
      'status --watch: not a terminal, so printing changes as lines until nothing is queued or running (every event: agentctl events --follow)\n' +
        'nothing is queued or running; stopped watching\n',
    );
    expect(inkLoaded()).toBe(false);
  });

  it('--json on a terminal prints JSON lines instead of the dashboard', async () => {
    const { d } = fixture({ isTTY: true, stdinIsTTY: true });
    expect(await cli(d, 'status', '--watch', '--json', 'acme/web/task-1')).toBe(0);
    const lines = d.io.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        at: '2026-11-23T10:00:00.000Z',
        kind: 'run',
        workspace: join(d.state, 'workspace', 'acme', 'web', 'task-1'),
        name: 'acme/web/task-1',
        agent: 'codex',
        pool: 'codex',
        state: 'completed',
        label: 'completed',
        elapsedSeconds: 750,
        elapsed: '12m30s',
        note: 'All tests pass',
        costUsd: 0.42,
        cost: '$0.42',
        qa: 'passed',
      },
      { at: '2026-11-23T10:00:00.000Z', kind: 'pool', pool: 'claude', limit: 1, running: 0, queued: 0, backoffSeconds: 0, fastFails: 0, backoff: '-' },
      { at: '2026-11-23T10:00:00.000Z', kind: 'pool', pool: 'codex', limit: 1, running: 0, queued: 0, backoffSeconds: 0, fastFails: 0, backoff: '-' },
    ]);
    expect(inkLoaded()).toBe(false);
  });

  it('a terminal stdout with a piped stdin gets lines too (no keys to read)', async () => {
    const { d } = fixture({ isTTY: true, stdinIsTTY: false });
    expect(await status({ watch: true }, d)).toBe(0);
    expect(d.io.stdout.split('\n')).toHaveLength(5);
    expect(inkLoaded()).toBe(false);
  });

  it('keeps ticking like `agentctl status`: a run whose container exits is finished and printed again', async () => {
    const { d, docker, write } = fixture();
    docker.add({ id: 'c-1', running: true, exitCode: undefined, killed: false, labels: {}, startedAt: undefined, finishedAt: undefined });
    write('acme/web/task-3', { state: 'running', containerId: 'c-1', startedAt: '2026-11-23T09:59:15.000Z', progress: ['tool shell: npm test'] });
    const stop = new AbortController();
    const watching = watch({ watch: true }, d, { intervalMs: 10, signal: stop.signal });
    await until(() => d.io.stdout.includes('task-3'));
    docker.exit('c-1', 1);
    expect(await watching).toBe(0);
    const task3 = d.io.stdout.split('\n').filter((line) => line.includes('task-3'));
    expect(task3).toEqual([
      '2026-11-23T10:00:00.000Z acme/web/task-3 state=running agent=codex elapsed=45s cost=- qa=- note="tool shell: npm test"',
      '2026-11-23T10:00:00.000Z acme/web/task-3 state=failed agent=codex elapsed=45s cost=- qa=- note="agent exited with code 1"',
    ]);
    expect(d.io.stdout).toContain('pool codex running=1/1 queued=0 backoff=-\n');
    // A run that fails within a minute counts towards the pool's backoff.
    expect(d.io.stdout).toContain('pool codex running=0/1 queued=0 backoff="1 fast failure(s)"\n');
    expect(d.supervisorStarts).toBeGreaterThan(0);
    expect(inkLoaded()).toBe(false);
  });

  it('stops when its signal aborts', async () => {
    const { d, docker, write } = fixture();
    docker.add({ id: 'c-1', running: true, exitCode: undefined, killed: false, labels: {}, startedAt: undefined, finishedAt: undefined });
    write('acme/web/task-3', { state: 'running', containerId: 'c-1', startedAt: '2026-11-23T09:59:15.000Z' });
    const stop = new AbortController();
    const watching = watch({ watch: true }, d, { intervalMs: 10, signal: stop.signal });
    await until(() => d.io.stdout.includes('task-3'));
    stop.abort();
    expect(await watching).toBe(0);
    expect(d.io.stdout.split('\n').filter((line) => line.includes('task-3'))).toHaveLength(1);
    expect(inkLoaded()).toBe(false);
  });
});
