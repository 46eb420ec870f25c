// The ink dashboard through ink-testing-library. (A .test.ts, not .tsx: vitest.config.ts only
// collects test/**/*.test.ts, so the tree is built with createElement.)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Dashboard } from '../../../src/cli/dashboard/dashboard.js';
import { inkLoaded } from '../../../src/cli/dashboard/ink-loaded.js';
import { diskSource, type DashboardSource } from '../../../src/cli/dashboard/source.js';
import { loadConfigFor } from '../../../src/cli/load.js';
import { buildModel } from '../../../src/core/dashboard/model.js';
import type { RunStatus } from '../../../src/core/run/status.js';
import { until } from '../../fakes/command-harness.js';
import { fakeDeps, type FakeDeps } from '../../fakes/fake-deps.js';

const ROOT = '/h/.agentctl/workspace';
const NOW = new Date('2026-11-23T10:00:00.000Z');
const DOWN = '\u001b[B';
const UP = '\u001b[A';
const ESC = '\u001b';

function status(slot: string, overrides: Partial<RunStatus> = {}): RunStatus {
  return { version: 1, state: 'running', workspace: `${ROOT}/${slot}`, repo: 'acme/web', agent: 'codex', pool: 'codex', runtime: 'docker', runCount: 1, warnings: [], ...overrides };
}

/** A source over statuses the test changes at will, with logs per workspace and a record of cancels. */
function fakeSource(initial: RunStatus[]) {
  const state = { statuses: initial, loads: 0, cancelled: [] as string[], logs: {} as Record<string, string[]> };
  const source: DashboardSource = {
    load: async () => {
      state.loads += 1;
      return {
        model: buildModel({ statuses: state.statuses, scheduler: { version: 1, seq: 0, frozen: false, pools: {} }, limits: { pool: () => 2, global: undefined }, configPools: [], now: NOW, root: ROOT }),
        warnings: [],
      };
    },
    logTail: (workspace, lines) => ({ path: `${workspace}/outbox/agent-codex.log`, lines: (state.logs[workspace] ?? []).slice(-lines) }),
    cancel: async (workspace) => {
      state.cancelled.push(workspace);
      return `cancelled ${workspace.slice(ROOT.length + 1)}`;
    },
  };
  return { state, source };
}

const instances: Array<{ unmount(): void }> = [];
afterEach(() => {
  for (const instance of instances.splice(0)) instance.unmount();
});

function show(source: DashboardSource, onExit?: () => void) {
  const app = render(createElement(Dashboard, { source, intervalMs: 20, width: 100, height: 30, onExit }));
  instances.push(app);
  const frame = () => app.lastFrame() ?? '';
  /** The row of a run, as rendered. */
  const row = (name: string) => frame().split('\n').find((line) => line.includes(name)) ?? '';
  return { app, frame, row };
}

describe('dashboard', () => {
  it('loads ink (the flag the non-terminal tests check is real)', () => {
    expect(inkLoaded()).toBe(true);
  });

  it('shows runs, pools and queue, and follows the status as it changes', async () => {
    const { state, source } = fakeSource([
      status('acme/web/task-1', { startedAt: '2026-11-23T09:58:00.000Z', progress: ['tool shell: npm test'], usage: { inputTokens: 1, outputTokens: 1, costUsd: 0.1234 } }),
      status('acme/web/task-2', { state: 'queued', seq: 1, waitingFor: 'pool codex is at its limit (2 of 2 running)' }),
      status('acme/api/pr-7', { state: 'completed', startedAt: '2026-11-23T09:00:00.000Z', finishedAt: '2026-11-23T09:30:15.000Z', qa: { state: 'failed', commands: [], log: '' } }),
    ]);
    const { frame, row } = show(source);
    await until(() => frame().includes('acme/web/task-1'));
    expect(frame()).toContain('1 running, 1 queued, 3 shown');
    expect(frame()).toMatch(/RUN +AGENT +STATE +ELAPSED +COST +QA +NOTE/);
    expect(row('acme/web/task-1')).toMatch(/^> acme\/web\/task-1 +codex +running +2m00s +\$0\.12 +- +tool shell: npm test$/);
    // A note too long for the screen is cut to fit.
    expect(row('acme/web/task-2')).toMatch(/^ {2}acme\/web\/task-2 +codex +queued +- +- +- +pool codex is at its limi…$/);
    expect(Math.max(...frame().split('\n').map((line) => line.length))).toBeLessThan(100);
    expect(row('acme/api/pr-7')).toMatch(/^ {2}acme\/api\/pr-7 +codex +completed \(QA failed\) +30m15s +- +failed/);
    expect(frame()).toMatch(/POOL +LIMIT +RUNNING +QUEUED +BACKOFF\ncodex +2 +1 +1 +-/);
    expect(frame()).toContain('QUEUE\n1. acme/web/task-2  codex  priority 0  pool codex is at its limit (2 of 2 running)');

    // The run moves on: new progress, then it finishes and the queued one starts.
    state.statuses = [
      status('acme/web/task-1', { state: 'completed', startedAt: '2026-11-23T09:58:00.000Z', finishedAt: '2026-11-23T09:59:30.000Z', progress: ['tool shell: npm test', 'All tests pass'] }),
      status('acme/web/task-2', { startedAt: '2026-11-23T09:59:40.000Z', progress: ['started'] }),
      state.statuses[2] as RunStatus,
    ];
    await until(() => row('acme/web/task-1').includes('All tests pass'));
    expect(row('acme/web/task-1')).toMatch(/completed +1m30s/);
    expect(row('acme/web/task-2')).toMatch(/running +20s +- +- +started/);
    expect(frame()).toContain('1 running, 0 queued, 3 shown');
    expect(frame()).not.toMatch(/^QUEUE$/m);
    // The selection stays on the run it was on, wherever that run moved.
    expect(row('acme/web/task-1').startsWith('>')).toBe(true);
    expect(frame().split('\n').filter((line) => line.startsWith('>'))).toHaveLength(1);
    expect(state.loads).toBeGreaterThan(1);
  });

  it('moves the selection with the arrows and j/k, opens the log with l or enter, and goes back with esc or q', async () => {
    const { state, source } = fakeSource([
      status('acme/web/task-1', { startedAt: '2026-11-23T09:58:00.000Z' }),
      status('acme/web/task-2', { startedAt: '2026-11-23T09:59:00.000Z' }),
      status('acme/web/task-3', { state: 'failed', finishedAt: '2026-11-23T09:00:00.000Z', reason: 'boom' }),
    ]);
    state.logs[`${ROOT}/acme/web/task-2`] = Array.from({ length: 60 }, (_, i) => `line ${i + 1} of task-2`);
    const { app, frame, row } = show(source);
    await until(() => row('acme/web/task-1').startsWith('>'));

    app.stdin.write(DOWN);
    await until(() => row('acme/web/task-2').startsWith('>'));
    expect(row('acme/web/task-1').startsWith(' ')).toBe(true);
    app.stdin.write('j');
    await until(() => row('acme/web/task-3').startsWith('>'));
    app.stdin.write('j'); // already at the bottom
    app.stdin.write(UP);
    await until(() => row('acme/web/task-2').startsWith('>'));
    app.stdin.write('k');
    await until(() => row('acme/web/task-1').startsWith('>'));
    app.stdin.write('j');
    await until(() => row('acme/web/task-2').startsWith('>'));

    app.stdin.write('l');
    await until(() => frame().includes('log of acme/web/task-2'));
    // The tail that fits: 30 rows less a header and a footer line.
    expect(frame()).toContain(`${ROOT}/acme/web/task-2/outbox/agent-codex.log`);
    expect(frame()).toContain('line 60 of task-2');
    expect(frame()).toContain('line 34 of task-2');
    expect(frame()).not.toContain('line 33 of task-2');
    expect(frame()).toContain('esc or q: back to the runs');
    // It keeps up with the log.
    state.logs[`${ROOT}/acme/web/task-2`]?.push('line 61 of task-2');
    await until(() => frame().includes('line 61 of task-2'));

    app.stdin.write('q');
    await until(() => frame().includes('RUN'));
    expect(row('acme/web/task-2').startsWith('>')).toBe(true);

    app.stdin.write('\r');
    await until(() => frame().includes('log of acme/web/task-2'));
    app.stdin.write(ESC);
    await until(() => frame().includes('RUN'));
  });

  it('c asks before cancelling a running or queued run, and says why not for a finished one', async () => {
    const { state, source } = fakeSource([
      status('acme/web/task-1', { startedAt: '2026-11-23T09:58:00.000Z' }),
      status('acme/web/task-2', { state: 'queued', seq: 1 }),
      status('acme/web/task-3', { state: 'completed', finishedAt: '2026-11-23T09:00:00.000Z' }),
    ]);
    const { app, frame, row } = show(source);
    await until(() => row('acme/web/task-1').startsWith('>'));

    app.stdin.write('c');
    await until(() => frame().includes('cancel acme/web/task-1? y to confirm'));
    app.stdin.write('n');
    await until(() => frame().includes('not cancelled: acme/web/task-1'));
    expect(state.cancelled).toEqual([]);

    app.stdin.write('j');
    await until(() => row('acme/web/task-2').startsWith('>'));
    app.stdin.write('c');
    await until(() => frame().includes('cancel acme/web/task-2? y to confirm'));
    app.stdin.write('y');
    await until(() => frame().includes('cancelled acme/web/task-2'));
    expect(state.cancelled).toEqual([`${ROOT}/acme/web/task-2`]);

    app.stdin.write('j');
    await until(() => row('acme/web/task-3').startsWith('>'));
    app.stdin.write('c');
    await until(() => frame().includes('nothing to cancel: acme/web/task-3 is completed'));
    expect(state.cancelled).toHaveLength(1);
  });

  it('q quits', async () => {
    const { source } = fakeSource([status('acme/web/task-1')]);
    let exits = 0;
    const { app, frame } = show(source, () => (exits += 1));
    await until(() => frame().includes('acme/web/task-1'));
    app.stdin.write('q');
    await until(() => exits === 1);
  });

  it('says there are no runs yet', async () => {
    const { source } = fakeSource([]);
    const { frame } = show(source);
    await until(() => frame().includes('no runs yet'));
    expect(frame()).toContain('0 running, 0 queued, 0 shown');
  });

  it('scrolls the runs to keep the selection on a small screen', async () => {
    const many = Array.from({ length: 40 }, (_, i) => status(`acme/web/task-${String(i + 1).padStart(2, '0')}`, { startedAt: new Date(NOW.getTime() - (100 - i) * 1000).toISOString() }));
    const { source } = fakeSource(many);
    const { app, frame, row } = show(source);
    await until(() => frame().includes('(runs 1-'));
    expect(frame()).not.toContain('task-40');
    for (let i = 0; i < 39; i += 1) app.stdin.write('j');
    await until(() => row('acme/web/task-40').startsWith('>'));
    expect(frame()).not.toContain('task-01');
    expect(frame()).toMatch(/\(runs \d+-40 of 40\)/);
  });
});

describe('dashboard over the status files', () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  function writeStatus(d: FakeDeps, slot: string, overrides: Partial<RunStatus>): string {
    const ws = join(d.state, 'workspace', ...slot.split('/'));
    mkdirSync(join(ws, '.meta'), { recursive: true });
    mkdirSync(join(ws, 'outbox'), { recursive: true });
    writeFileSync(join(ws, '.meta', 'status.json'), JSON.stringify({ ...status(slot), workspace: ws, ...overrides }));
    return ws;
  }

  it('re-reads the files every refresh, shows the real log, and cancels through the cancel command', async () => {
    const d = fakeDeps();
    homes.push(d.home);
    // Frozen, so the queued run stays queued while the dashboard ticks.
    mkdirSync(join(d.state, 'state'), { recursive: true });
    writeFileSync(join(d.state, 'state', 'scheduler.json'), JSON.stringify({ version: 1, seq: 1, frozen: true, pools: {} }));
    const done = writeStatus(d, 'acme/web/task-1', { state: 'completed', startedAt: '2026-11-23T09:00:00.000Z', finishedAt: '2026-11-23T09:10:00.000Z', progress: ['first pass'] });
    writeFileSync(join(done, 'outbox', 'agent-codex.log'), 'hello from codex\n\u001b[31mred\u001b[0m text\n');
    const queued = writeStatus(d, 'acme/web/task-2', { state: 'queued', seq: 1, waitingFor: 'agentctl is frozen' });
    const { config } = await loadConfigFor(d, undefined);
    const { app, frame, row } = show(diskSource(d, config, undefined));
    await until(() => frame().includes('acme/web/task-2'));
    expect(frame()).toContain('0 running, 1 queued, 2 shown');
    expect(row('acme/web/task-1')).toContain('first pass');

    writeStatus(d, 'acme/web/task-1', { state: 'completed', startedAt: '2026-11-23T09:00:00.000Z', finishedAt: '2026-11-23T09:10:00.000Z', progress: ['second pass'] });
    await until(() => row('acme/web/task-1').includes('second pass'));

    // The queued run comes first; the finished one is below it.
    expect(row('acme/web/task-2').startsWith('>')).toBe(true);
    app.stdin.write('j');
    await until(() => row('acme/web/task-1').startsWith('>'));
    app.stdin.write('l');
    await until(() => frame().includes('hello from codex'));
    expect(frame()).toContain('red text');
    app.stdin.write(ESC);
    await until(() => frame().includes('RUN'));

    app.stdin.write('k');
    await until(() => row('acme/web/task-2').startsWith('>'));
    app.stdin.write('c');
    await until(() => frame().includes('? y to confirm'));
    app.stdin.write('y');
    await until(() => frame().includes('cancelled acme/web/task-2'));
    await until(() => /acme\/web\/task-2 +codex +cancelled/.test(row('acme/web/task-2')));
    expect(JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(queued, '.meta', 'status.json'), 'utf8')))).toMatchObject({
      state: 'cancelled',
      reason: 'cancelled while queued',
    });
    // Nothing the cancel command printed went to the real output.
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe('');
  });
});
