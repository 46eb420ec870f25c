import { describe, expect, it } from 'vitest';
import { buildModel, shortName, type ModelInput } from '../../../src/core/dashboard/model.js';
import type { RunStatus } from '../../../src/core/run/status.js';
import type { Limits, SchedulerState } from '../../../src/core/schedule/scheduler.js';

const ROOT = '/home/u/.agentctl/workspace';
const NOW = new Date('2026-11-23T10:00:00.000Z');

function status(slot: string, overrides: Partial<RunStatus> = {}): RunStatus {
  return {
    version: 1,
    state: 'completed',
    workspace: `${ROOT}/${slot}`,
    repo: 'acme/web',
    agent: 'codex',
    pool: 'codex',
    runtime: 'docker',
    runCount: 1,
    warnings: [],
    ...overrides,
  };
}

const limits: Limits = { pool: (pool) => (pool === 'codex' ? 2 : 1), global: undefined };
const idle: SchedulerState = { version: 1, seq: 0, frozen: false, pools: {} };

function model(statuses: RunStatus[], overrides: Partial<ModelInput> = {}) {
  return buildModel({ statuses, scheduler: idle, limits, configPools: [], now: NOW, root: ROOT, ...overrides });
}

describe('dashboard model: one row', () => {
  it.each<[string, Partial<RunStatus>, Record<string, unknown>]>([
    [
      'a running run: elapsed from its start to now, its latest progress line, cost in dollars',
      { state: 'running', startedAt: '2026-11-23T09:57:58.000Z', progress: ['started (o3)', 'tool shell: npm test'], usage: { inputTokens: 900, outputTokens: 100, costUsd: 0.4249 } },
      { label: 'running', elapsed: '2m02s', elapsedSeconds: 122, note: 'tool shell: npm test', cost: '$0.42', costUsd: 0.4249, qa: '-' },
    ],
    [
      'a running run with tokens but no cost',
      { state: 'running', startedAt: '2026-11-23T09:59:50.000Z', usage: { inputTokens: 12_000, outputTokens: 3_400 } },
      { elapsed: '10s', note: '', cost: '15.4k tok', costUsd: null },
    ],
    [
      'a queued run: no elapsed time, why it waits',
      { state: 'queued', waitingFor: 'pool codex is at its limit (2 of 2 running)' },
      { label: 'queued', elapsed: '-', elapsedSeconds: null, note: 'pool codex is at its limit (2 of 2 running)', cost: '-' },
    ],
    [
      'a blocked run: the first line of its question, not its progress',
      { state: 'blocked', startedAt: '2026-11-23T08:45:00.000Z', finishedAt: '2026-11-23T10:00:00.000Z', question: '\nWhich database?\nThe README mentions two.', progress: ['wrote BLOCKED.md'] },
      { label: 'blocked', elapsed: '1h15m', note: 'Which database?' },
    ],
    [
      'a failed run: its reason',
      { state: 'failed', reason: 'the agent exited with code 1', progress: ['error: boom'] },
      { label: 'failed', note: 'the agent exited with code 1' },
    ],
    [
      'a completed run whose QA failed: the label says so',
      { state: 'completed', qa: { state: 'failed', commands: ['npm test'], log: '/x/qa.log' }, progress: ['done'] },
      { label: 'completed (QA failed)', qa: 'failed', note: 'done' },
    ],
    [
      'a completed run that changed nothing, with a multi-line progress line full of controls',
      { state: 'completed', noChanges: true, progress: ['\u001b[31mall\tgood\u001b[0m\nsecond line'] },
      { label: 'completed (no changes)', note: 'all good' },
    ],
    [
      'a cancelled run with cost in millions of tokens',
      { state: 'cancelled', reason: 'cancelled', usage: { inputTokens: 2_000_000, outputTokens: 500_000 } },
      { label: 'cancelled', note: 'cancelled', cost: '2.5M tok' },
    ],
  ])('%s', (_title, overrides, expected) => {
    const [row] = model([status('acme/web/task-1', overrides)]).rows;
    expect(row).toMatchObject({ workspace: `${ROOT}/acme/web/task-1`, name: 'acme/web/task-1', agent: 'codex', pool: 'codex', ...expected });
  });
});

describe('dashboard model: order, pools and queue', () => {
  const runs = [
    status('acme/web/done-old', { state: 'completed', finishedAt: '2026-11-23T08:00:00.000Z' }),
    status('acme/web/q-low', { state: 'queued', priority: 0, seq: 1, waitingFor: 'pool codex is at its limit' }),
    status('acme/web/run-late', { state: 'running', startedAt: '2026-11-23T09:50:00.000Z' }),
    status('acme/web/done-new', { state: 'failed', finishedAt: '2026-11-23T09:00:00.000Z', reason: 'boom' }),
    status('acme/web/q-high', { state: 'queued', priority: 5, seq: 3, pool: 'claude', agent: 'claude' }),
    status('acme/web/prep', { state: 'prepared' }),
    status('acme/web/run-early', { state: 'running', startedAt: '2026-11-23T09:00:00.000Z' }),
    status('acme/web/q-low-2', { state: 'queued', priority: 0, seq: 2 }),
  ];

  it.each<[string, Partial<ModelInput>, Record<string, unknown>]>([
    [
      'rows: running (oldest first), the queue in start order, prepared, then finished (newest first)',
      {},
      {
        rows: ['run-early', 'run-late', 'q-high', 'q-low', 'q-low-2', 'prep', 'done-new', 'done-old'].map((slot) => expect.objectContaining({ name: `acme/web/${slot}` })),
        running: 2,
        queued: 3,
        frozen: false,
      },
    ],
    [
      'queue: priority first, then FIFO, numbered',
      {},
      {
        queue: [
          // Why each waits is told as things stand now, whatever was said when it was queued.
          { position: 1, workspace: `${ROOT}/acme/web/q-high`, name: 'acme/web/q-high', pool: 'claude', priority: 5, waitingFor: 'a slot is free: starting soon' },
          { position: 2, workspace: `${ROOT}/acme/web/q-low`, name: 'acme/web/q-low', pool: 'codex', priority: 0, waitingFor: 'pool codex is at its limit (2 of 2 running)' },
          {
            position: 3,
            workspace: `${ROOT}/acme/web/q-low-2`,
            name: 'acme/web/q-low-2',
            pool: 'codex',
            priority: 0,
            waitingFor: 'pool codex is at its limit (2 of 2 running); 1 run of pool codex queued ahead',
          },
        ],
      },
    ],
    [
      'pools: every pool seen in runs, scheduler state and config, with limit, counts and backoff',
      {
        configPools: ['gemini'],
        scheduler: { version: 1, seq: 3, frozen: true, pools: { claude: { fastFails: 3, pausedUntil: '2026-11-23T10:04:30.000Z' }, local: { fastFails: 1 } } },
      },
      {
        frozen: true,
        pools: [
          { pool: 'claude', limit: 1, running: 0, queued: 1, backoffSeconds: 270, fastFails: 3, backoff: 'paused 5m' },
          { pool: 'codex', limit: 2, running: 2, queued: 2, backoffSeconds: 0, fastFails: 0, backoff: '-' },
          { pool: 'gemini', limit: 1, running: 0, queued: 0, backoffSeconds: 0, fastFails: 0, backoff: '-' },
          { pool: 'local', limit: 1, running: 0, queued: 0, backoffSeconds: 0, fastFails: 1, backoff: '1 fast failure(s)' },
        ],
      },
    ],
    [
      'a pause that has run out is no backoff',
      { scheduler: { version: 1, seq: 3, frozen: false, pools: { codex: { fastFails: 0, pausedUntil: '2026-11-23T09:59:00.000Z' } } } },
      { pools: expect.arrayContaining([expect.objectContaining({ pool: 'codex', backoffSeconds: 0, backoff: '-' })]) },
    ],
  ])('%s', (_title, overrides, expected) => {
    expect(model(runs, overrides)).toMatchObject(expected);
  });

  it('is empty without runs', () => {
    expect(model([])).toEqual({ frozen: false, running: 0, queued: 0, rows: [], pools: [], queue: [] });
  });
});

describe('shortName', () => {
  it.each([
    [`${ROOT}/acme/web/task-1`, 'acme/web/task-1'],
    ['/elsewhere/ws', '/elsewhere/ws'],
    [`${ROOT}-other/acme/web/x`, `${ROOT}-other/acme/web/x`],
  ])('%s → %s', (workspace, expected) => {
    expect(shortName(workspace, ROOT)).toBe(expected);
  });
});
