import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/status.js';
import type { RunStatus } from '../../../src/core/run/status.js';
import { AgentctlError } from '../../../src/core/errors.js';
import { stateHome } from '../../../src/deps.js';
import { fakeDeps as makeDeps, type FakeDeps } from '../../fakes/fake-deps.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** fakeDeps whose temp home is removed after the file. */
function fakeDeps(options: Parameters<typeof makeDeps>[0] = {}): FakeDeps {
  const d = makeDeps(options);
  homes.push(d.home);
  return d;
}

const NOW = '2026-11-23T10:00:00.000Z';
const NOW_MS = Date.parse(NOW);
const QUESTION = 'Which database should I use for the session store: Postgres, SQLite or Redis?\nThe README mentions both.';

function base(ws: string, overrides: Partial<RunStatus>): RunStatus {
  return {
    version: 1,
    state: 'running',
    workspace: ws,
    repo: 'acme/web',
    agent: 'codex',
    pool: 'codex',
    runtime: 'docker',
    runCount: 1,
    owner: { uid: 1000, gid: 1000 },
    warnings: [],
    ...overrides,
  };
}

function writeStatusFile(d: FakeDeps, slot: string, overrides: Partial<RunStatus>): RunStatus {
  const ws = join(d.state, 'workspace', ...slot.split('/'));
  mkdirSync(join(ws, '.meta'), { recursive: true });
  mkdirSync(join(ws, 'outbox'), { recursive: true });
  const status = base(ws, overrides);
  writeFileSync(join(ws, '.meta', 'status.json'), `${JSON.stringify(status, null, 2)}\n`);
  return status;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/**
 * Four runs, listed in path order:
 *  acme/api/task-3  completed, QA failed, 30m15s
 *  acme/web/task-7  blocked on the host, 1h15m, a long two-line question
 *  acme/web/task-9  running in docker, container still running, 45s so far
 *  zeta/tool/main   "running" in podman, but its container exited with 1
 */
function fixture() {
  const docker = new FakeRuntime('docker');
  const podman = new FakeRuntime('podman');
  const registry = fakeRegistry([docker, podman]);
  const d = fakeDeps({ runtimes: registry });
  const container = { killed: false, labels: {}, startedAt: undefined, finishedAt: undefined };
  docker.add({ ...container, id: 'c-running', running: true, exitCode: undefined });
  podman.add({ ...container, id: 'c-exited', running: false, exitCode: 1 });
  const api = writeStatusFile(d, 'acme/api/task-3', {
    state: 'completed',
    repo: 'acme/api',
    containerId: 'c-old',
    image: 'localhost/agent:1',
    startedAt: '2026-11-23T09:00:00.000Z',
    finishedAt: '2026-11-23T09:30:15.000Z',
    exitCode: 0,
    qa: { state: 'failed', commands: ['npm test'], failedCommand: 'npm test', log: '/x/qa.log', reason: '"npm test" failed (exit code 1)' },
  });
  const blocked = writeStatusFile(d, 'acme/web/task-7', {
    state: 'blocked',
    agent: 'claude',
    pool: 'claude',
    runtime: 'host',
    pid: 4242,
    startedAt: '2026-11-23T08:00:00.000Z',
    finishedAt: '2026-11-23T09:15:00.000Z',
    exitCode: 0,
    reason: 'agent wrote BLOCKED.md',
    question: QUESTION,
  });
  const running = writeStatusFile(d, 'acme/web/task-9', { containerId: 'c-running', image: 'localhost/agent:1', startedAt: '2026-11-23T09:59:15.000Z' });
  const exited = writeStatusFile(d, 'zeta/tool/main', {
    repo: 'zeta/tool',
    runtime: 'podman',
    containerId: 'c-exited',
    image: 'localhost/agent:1',
    startedAt: '2026-11-23T09:58:55.000Z',
  });
  return { d, docker, podman, registry, api, blocked, running, exited };
}

describe('status', () => {
  it.each([
    ['seconds after its claim: still being started, left running', '2026-11-23T09:59:55.000Z', 'running', undefined],
    ['long after its claim: never started, abandoned', '2026-11-23T09:50:00.000Z', 'failed', 'abandoned: the agent process is gone and left no exit code'],
  ])('a container created but not started yet, %s', async (_name, startedAt, state, reason) => {
    const docker = new FakeRuntime('docker');
    const d = fakeDeps({ runtimes: fakeRegistry([docker]) });
    docker.add({ id: 'c-created', running: false, exitCode: undefined, killed: false, labels: {}, startedAt: undefined, finishedAt: undefined });
    const { workspace } = writeStatusFile(d, 'acme/web/task-5', { containerId: 'c-created', image: 'localhost/agent:1', startedAt });
    expect(await run({}, d)).toBe(0);
    const after = readJson(join(workspace, '.meta', 'status.json'));
    expect([after.state, after.reason]).toEqual([state, reason]);
  });

  it('lists every run as a table, finishing the one whose container has exited', async () => {
    const { d, docker, podman, running, exited } = fixture();
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE                  AGENT   RUNTIME  ELAPSED  QA      NOTE',
        'acme/api/task-3  completed (QA failed)  codex   docker   30m15s   failed',
        'acme/web/task-7  blocked                claude  host     1h15m    -       Which database should I use for the session store: Postgres,',
        'acme/web/task-9  running                codex   docker   45s      -',
        'zeta/tool/main   failed                 codex   podman   1m05s    -       agent exited with code 1',
        '',
        // Every pool with a run: codex still runs task-9 (limit 1 by default); zeta's 65 s failure is not fast.
        'POOL    LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'claude  1      0        0       -     -',
        'codex   1      1        0       -     -',
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe('');
    // A run is still going, so a supervisor is asked for to finish it later.
    expect(d.supervisorStarts).toBe(1);
    expect(readJson(join(d.state, 'state', 'scheduler.json'))).toEqual({ version: 1, seq: 0, frozen: false, pools: { codex: { fastFails: 0 } } });

    // The exited run is finished exactly as a waiting dispatch would have.
    const finishedStatus = { ...exited, state: 'failed', exitCode: 1, reason: 'agent exited with code 1', finishedAt: NOW };
    expect(readJson(join(exited.workspace, '.meta', 'status.json'))).toEqual(finishedStatus);
    const event = { type: 'finished', at: NOW, workspace: exited.workspace, agent: 'codex', state: 'failed', exitCode: 1, reason: 'agent exited with code 1' };
    expect(readFileSync(join(exited.workspace, '.meta', 'events.jsonl'), 'utf8')).toBe(`${JSON.stringify(event)}\n`);
    expect(readFileSync(join(d.state, 'events.jsonl'), 'utf8')).toBe(`${JSON.stringify(event)}\n`);
    expect(podman.removed).toEqual(['c-exited']);

    // The running one is left alone.
    expect(readJson(join(running.workspace, '.meta', 'status.json'))).toEqual(running);
    expect(existsSync(join(running.workspace, '.meta', 'events.jsonl'))).toBe(false);
    expect(docker.removed).toEqual([]);
    expect((await docker.inspect('c-running'))?.running).toBe(true);
  });

  it('--json gives {frozen, runs, pools, queue, chains} with elapsedSeconds, after finishing exited runs', async () => {
    const { d, api, blocked, running, exited } = fixture();
    expect(await run({ json: true }, d)).toBe(0);
    expect(d.io.stderr).toBe('');
    expect(d.io.stdout.endsWith('}\n')).toBe(true);
    expect(JSON.parse(d.io.stdout)).toEqual({
      frozen: false,
      runs: [
        { ...api, elapsedSeconds: 1815, summary: expect.objectContaining({ outcome: 'completed (QA failed)' }) },
        { ...blocked, elapsedSeconds: 4500, summary: expect.objectContaining({ outcome: 'blocked' }) },
        { ...running, elapsedSeconds: 45, summary: null },
        { ...exited, state: 'failed', exitCode: 1, reason: 'agent exited with code 1', finishedAt: NOW, elapsedSeconds: 65, summary: expect.objectContaining({ reason: 'agent exited with code 1' }) },
      ],
      pools: [
        { pool: 'claude', limit: 1, running: 0, queued: 0, pausedSeconds: 0, fastFails: 0, costUsd: 0 },
        { pool: 'codex', limit: 1, running: 1, queued: 0, pausedSeconds: 0, fastFails: 0, costUsd: 0 },
      ],
      queue: [],
      chains: [],
      watchers: [],
    });
  });

  it('shows one workspace given as org/repo/slot or as a path', async () => {
    const { d, blocked } = fixture();
    const table = [
      'WORKSPACE        STATE    AGENT   RUNTIME  ELAPSED  QA  NOTE',
      'acme/web/task-7  blocked  claude  host     1h15m    -   Which database should I use for the session store: Postgres,',
      '',
    ].join('\n');
    // One finished run also gets the summary --wait prints.
    const summary = [
      '',
      'blocked: claude on acme/web (agent wrote BLOCKED.md)',
      'question:',
      '  Which database should I use for the session store: Postgres, SQLite or Redis?',
      '  The README mentions both.',
      `next: agentctl answer ${blocked.workspace} "…"`,
      `workspace: ${blocked.workspace}`,
      '',
    ].join('\n');
    expect(await run({ args: ['acme/web/task-7'] }, d)).toBe(0);
    expect(d.io.stdout).toBe(table + summary);
    d.io.stdout = '';
    expect(await run({ args: [blocked.workspace] }, d)).toBe(0);
    expect(d.io.stdout).toBe(table + summary);
  });

  it('marks a running run abandoned when its container or host process is gone without an exit code', async () => {
    const docker = new FakeRuntime('docker');
    const registry = fakeRegistry([docker]); // its FakeHostRunner knows no pid, so pid 777 is gone
    const d = fakeDeps({ runtimes: registry });
    const vanished = writeStatusFile(d, 'acme/web/task-5', { containerId: 'c-vanished', startedAt: '2026-11-23T09:59:50.000Z' });
    const host = writeStatusFile(d, 'acme/web/task-6', { agent: 'claude', pool: 'claude', runtime: 'host', pid: 777, startedAt: '2026-11-23T09:59:40.000Z' });
    expect(await run({}, d)).toBe(0);
    const reason = 'abandoned: the agent process is gone and left no exit code';
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE   AGENT   RUNTIME  ELAPSED  QA  NOTE',
        `acme/web/task-5  failed  codex   docker   10s      -   ${reason}`,
        `acme/web/task-6  failed  claude  host     20s      -   ${reason}`,
        '',
        // Both ended 10 s and 20 s after their start: each is a fast failure of its pool (threshold 3).
        'POOL    LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'claude  1      0        0       -     1 fast failure(s)',
        'codex   1      0        0       -     1 fast failure(s)',
        '',
      ].join('\n'),
    );
    expect(d.supervisorStarts).toBe(0);
    expect(readJson(join(vanished.workspace, '.meta', 'status.json'))).toEqual({ ...vanished, state: 'failed', reason, finishedAt: NOW });
    expect(readJson(join(host.workspace, '.meta', 'status.json'))).toEqual({ ...host, state: 'failed', reason, finishedAt: NOW });
    expect(
      readFileSync(join(d.state, 'events.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { type: 'finished', at: NOW, workspace: vanished.workspace, agent: 'codex', state: 'failed', reason },
      { type: 'finished', at: NOW, workspace: host.workspace, agent: 'claude', state: 'failed', reason },
    ]);
  });

  it('does not ask the engines anything when no run is running', async () => {
    const d = fakeDeps(); // its registry throws on any use
    const ws = writeStatusFile(d, 'acme/web/task-1', { state: 'failed', startedAt: '2026-11-23T09:59:58.000Z', finishedAt: '2026-11-23T09:59:59.000Z', exitCode: 2, reason: 'agent exited with code 2' });
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE   AGENT  RUNTIME  ELAPSED  QA  NOTE',
        'acme/web/task-1  failed  codex  docker   1s       -   agent exited with code 2',
        '',
        'POOL   LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'codex  1      0        0       -     -',
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe('');
    expect(d.supervisorStarts).toBe(0);
    expect(readJson(join(ws.workspace, '.meta', 'status.json'))).toEqual(ws);
  });

  it('warns and still lists a running run it cannot check', async () => {
    const d = fakeDeps(); // get() throws "no runtime docker in this test"
    const ws = writeStatusFile(d, 'acme/web/task-2', { containerId: 'c-1', startedAt: '2026-11-23T09:00:00.000Z' });
    expect(await run({}, d)).toBe(0);
    expect(d.io.stderr).toBe(
      `warning: could not check ${ws.workspace}: no runtime docker in this test\nwarning: could not look for agents no run claims: no runtime docker in this test\n`,
    );
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE    AGENT  RUNTIME  ELAPSED  QA  NOTE',
        'acme/web/task-2  running  codex  docker   1h00m    -',
        '',
        'POOL   LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'codex  1      1        0       -     -',
        '',
      ].join('\n'),
    );
    expect(d.supervisorStarts).toBe(1);
  });

  it('refuses an unknown workspace with unknown_workspace (exit 2)', async () => {
    const { d } = fixture();
    const error = (await run({ args: ['acme/nope/task-1'] }, d).then(
      () => undefined,
      (e: unknown) => e,
    )) as AgentctlError;
    expect(error).toBeInstanceOf(AgentctlError);
    expect(error.code).toBe('unknown_workspace');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('no workspace "acme/nope/task-1"');
    expect(error.hint).toBe('pass a path printed by dispatch, or org/repo/slot; "agentctl status" lists them all');
    expect(d.io.stdout).toBe('');
  });

  it('with no runs prints a hint on stderr and nothing on stdout', async () => {
    const d = fakeDeps();
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe('no runs yet; start one with: agentctl dispatch --repo org/name --issue N\n');
  });

  it('with no runs and --json prints empty lists, not frozen', async () => {
    const d = fakeDeps();
    expect(await run({ json: true }, d)).toBe(0);
    expect(d.io.stdout).toBe('{\n  "frozen": false,\n  "runs": [],\n  "pools": [],\n  "queue": [],\n  "chains": [],\n  "watchers": []\n}\n');
    expect(d.io.stderr).toBe('');
  });

  it('shows a live watcher: pid, last and next poll, and a route backing off with its error', async () => {
    const d = fakeDeps();
    const home = stateHome(d);
    const record = {
      pid: process.pid,
      startedAt: '2024-06-01T11:00:00.000Z',
      once: false,
      routes: [
        { name: 'gh acme/web issues labelled "agent:ready"', lastPoll: new Date(NOW_MS - 5_000).toISOString(), nextPoll: new Date(NOW_MS + 55_000).toISOString(), failures: 0 },
        { name: 'fj acme/api issues labelled "agent:ready"', lastPoll: new Date(NOW_MS - 5_000).toISOString(), nextPoll: new Date(NOW_MS + 235_000).toISOString(), failures: 2, lastError: 'forge fj (forgejo): GET /repos/acme/api/issues failed: HTTP 500' },
      ],
    };
    mkdirSync(join(home, 'watch', 'watchers'), { recursive: true });
    writeFileSync(join(home, 'watch', 'watchers', `${process.pid}.json`), JSON.stringify(record));
    // A watcher killed with SIGKILL leaves its record: shown as not running in JSON, left out of the text.
    writeFileSync(join(home, 'watch', 'watchers', '999999999.json'), JSON.stringify({ ...record, pid: 999999999 }));
    expect(await run({ json: true }, d)).toBe(0);
    const view = JSON.parse(d.io.stdout) as { watchers: Array<{ pid: number; running: boolean }> };
    expect(view.watchers).toEqual(expect.arrayContaining([{ ...record, running: true }, { ...record, pid: 999999999, running: false }]));
    d.io.stdout = '';
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        `watch: running, pid ${process.pid}, since 2024-06-01T11:00:00.000Z`,
        '  gh acme/web issues labelled "agent:ready": last poll 5 s ago, next in 55 s',
        '  fj acme/api issues labelled "agent:ready": last poll 5 s ago, next in 235 s; backing off after 2 failed poll(s): forge fj (forgejo): GET /repos/acme/api/issues failed: HTTP 500',
        '',
      ].join('\n'),
    );
  });
});
