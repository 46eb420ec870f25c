import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as freeze } from '../../../src/cli/commands/freeze.js';
import { run as poolResume } from '../../../src/cli/commands/pool-resume.js';
import { run as runQueue } from '../../../src/cli/commands/run-queue.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { clearOutput, cli, NOW, readJson, ScriptedRuntime, until, useCommandHarness } from '../../fakes/command-harness.js';
import { fakeIO } from '../../fakes/fake-io.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';
import { homeId } from '../../../src/run/home-id.js';

const h = withCliVersions(useCommandHarness());
const LIMIT_1 = 'pools:\n  codex:\n    limit: 1\n';
const AT_LIMIT = 'pool codex is at its limit (1 of 1 running)';
const FROZEN = 'agentctl is frozen; "agentctl thaw" resumes starting runs';
const PAUSED = 'pool codex is paused for 30m after repeated fast failures; "agentctl pool resume codex" lifts it';
const follow = (ws: string) => `follow: agentctl status ${ws}   log: ${ws}/outbox/agent-codex.log\n`;
const schedulerJson = (state: string) => join(state, 'state', 'scheduler.json');

describe('queue: pool limits', () => {
  it('queues a dispatch over the pool limit, and run-queue starts it once the first run has ended', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws1 = h.workspaceOf(d, 'task-1');
    const ws2 = h.workspaceOf(d, 'task-2');

    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(d.io.stderr).toBe(`started codex on acme/web (issue #1) in docker container fake-1\n${follow(ws1)}`);
    clearOutput(d);

    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    expect(d.io.stdout).toBe(`${ws2}\n`);
    expect(d.io.stderr).toBe(`queued codex on acme/web (issue #2): ${AT_LIMIT}\n${follow(ws2)}`);
    expect(docker.started.map((c) => c.id)).toEqual(['fake-1']);
    // Each non-waiting dispatch asks for a supervisor to finish and start runs later.
    expect(d.supervisorStarts).toBe(2);
    expect(readJson(join(ws2, '.meta', 'status.json'))).toEqual({
      version: 1,
      state: 'queued',
      workspace: ws2,
      repo: 'acme/web',
      agent: 'codex',
      pool: 'codex',
      runtime: 'docker',
      image: 'localhost/agent:1',
      runCount: 0,
      owner: { uid: 1000, gid: 1000 },
      priority: 0,
      seq: 1,
      queuedAt: NOW,
      waitingFor: AT_LIMIT,
      timeoutSeconds: 3600,
      idleSeconds: 0,
      warnings: [],
    });
    expect(readJson(schedulerJson(d.state))).toEqual({ version: 1, seq: 1, frozen: false, pools: {} });
    expect(readJson(join(ws2, '.meta', 'job.json'))).toMatchObject({ workspace: ws2, agent: 'codex', pool: 'codex', priority: 0, timeoutSeconds: 3600 });

    // One pass while the first still runs: nothing to do.
    clearOutput(d);
    expect(await runQueue({}, d)).toBe(0);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe('1 running, 1 queued\n');

    docker.exit('fake-1', 0);
    clearOutput(d);
    expect(await runQueue({}, d)).toBe(0);
    expect(d.io.stdout).toBe(`started codex in ${ws2}\nfinished codex in ${ws1}: completed\n`);
    expect(d.io.stderr).toBe('1 running, 0 queued\n');
    expect(docker.started.map((c) => [c.id, c.spec.name, c.spec.labels['dev.agentctl.run']])).toEqual([
      ['fake-1', `agentctl-acme-web-task-1-${homeId(d.state).slice(0, 8)}-1`, '1'],
      ['fake-2', `agentctl-acme-web-task-2-${homeId(d.state).slice(0, 8)}-1`, '1'],
    ]);
    expect(docker.autoRemoved).toEqual(['fake-1']);
    expect(readJson(join(ws1, '.meta', 'status.json'))).toMatchObject({ state: 'completed', exitCode: 0, finishedAt: NOW });
    expect(readJson(join(ws2, '.meta', 'status.json'))).toMatchObject({ state: 'running', containerId: 'fake-2', runCount: 1, startedAt: NOW, seq: 1, queuedAt: NOW });
    expect(readJson(join(ws2, '.meta', 'status.json')).claimedBy).toBeUndefined();
    expect(readJson(join(ws2, '.meta', 'status.json')).waitingFor).toBeUndefined();

    clearOutput(d);
    expect(await runQueue({ json: true }, d)).toBe(0);
    expect(d.io.stdout).toBe('');
    docker.exit('fake-2', 2);
    expect(await runQueue({ json: true }, d)).toBe(0);
    expect(d.io.stdout).toBe(`${JSON.stringify({ event: 'finished', workspace: ws2, agent: 'codex', state: 'failed', reason: 'agent exited with code 2' })}\n`);
    expect(d.io.stderr).toBe('1 running, 0 queued\n0 running, 0 queued\n');
  });

  it('status does the same work: it finishes the ended run and starts the queued one', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    // The first agent did some work before it ended (one that changed nothing would be "completed (no changes)").
    writeFileSync(join(h.workspaceOf(d, 'task-1'), 'repo', 'fix.txt'), 'fixed\n');
    docker.exit('fake-1', 0);
    clearOutput(d);
    expect(await status({}, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE      AGENT  RUNTIME  ELAPSED  QA       NOTE',
        'acme/web/task-1  completed  codex  docker   0s       skipped',
        // Started now: the reason it waited is gone.
        'acme/web/task-2  running    codex  docker   0s       -',
        '',
        'POOL   LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'codex  1      1        0       -     -',
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe('');
    expect(docker.started.map((c) => c.id)).toEqual(['fake-1', 'fake-2']);
    expect(d.supervisorStarts).toBe(3);
  });

  it('dispatch --wait of a queued run follows it once another process has freed the slot', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws1 = h.workspaceOf(d, 'task-1');
    const ws2 = h.workspaceOf(d, 'task-2');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    clearOutput(d);
    const waiting = dispatch({ repo: 'acme/web', issue: '2', wait: true }, d);
    await until(() => existsSync(join(ws2, '.meta', 'status.json')) && h.statusOf(d, 'task-2').state === 'queued');
    // Waiting for a slot, it still makes sure a supervisor will free one.
    await until(() => d.supervisorStarts === 2);

    docker.exit('fake-1', 0);
    const other = { ...d, io: fakeIO() };
    expect(await runQueue({}, other)).toBe(0);
    // Whichever process drains first starts the queued run (the waiting one polls too); it starts exactly once.
    expect([`started codex in ${ws2}\nfinished codex in ${ws1}: completed\n`, `finished codex in ${ws1}: completed\n`]).toContain(other.io.stdout);
    await until(() => docker.started.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(docker.started.map((c) => c.spec.name)).toEqual([`agentctl-acme-web-task-1-${homeId(d.state).slice(0, 8)}-1`, `agentctl-acme-web-task-2-${homeId(d.state).slice(0, 8)}-1`]);
    docker.exit('fake-2', 3);
    expect(await waiting).toBe(10);
    expect(d.io.stdout).toBe(`failed: codex on acme/web (agent exited with code 3)\nworkspace: ${ws2}\n`);
    // Off a terminal: a timestamped line per phase; the run started in whichever process drained first.
    expect(d.io.stderr).toBe(
      `[2026-11-23T10:00:00Z] preparing: acme/web issue 2\n[2026-11-23T10:00:00Z] queued codex on acme/web (issue #2): ${AT_LIMIT}\n[2026-11-23T10:00:00Z] running: codex in docker container fake-2\n`,
    );
  });

  it('--priority orders the queue: higher first, then first come first served', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws = (n: number) => h.workspaceOf(d, `task-${n}`);
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '3', priority: '5' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '4' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '5', priority: '-1' }, d)).toBe(0);
    expect([2, 3, 4, 5].map((n) => [h.statusOf(d, `task-${n}`).priority, h.statusOf(d, `task-${n}`).seq])).toEqual([
      [0, 1],
      [5, 2],
      [0, 3],
      [-1, 4],
    ]);

    clearOutput(d);
    expect(await status({ json: true }, d)).toBe(0);
    const json = JSON.parse(d.io.stdout) as { queue: string[]; pools: unknown[] };
    expect(json.queue).toEqual([ws(3), ws(2), ws(4), ws(5)]);
    expect(json.pools).toEqual([{ pool: 'codex', limit: 1, running: 1, queued: 4, pausedSeconds: 0, fastFails: 0, costUsd: 0 }]);

    const order: string[] = [];
    for (const id of ['fake-1', 'fake-2', 'fake-3', 'fake-4']) {
      docker.exit(id, 0);
      clearOutput(d);
      expect(await runQueue({}, d)).toBe(0);
      order.push(d.io.stdout.split('\n')[0] as string);
    }
    expect(order).toEqual([3, 2, 4, 5].map((n) => `started codex in ${ws(n)}`));
  });
});

describe('queue: freeze and thaw', () => {
  it('queues every dispatch while frozen, shows it in status, and thaw starts it', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws = h.workspaceOf(d, 'task-1');

    expect(await freeze({ frozen: true }, d)).toBe(0);
    expect(d.io.stdout).toBe('frozen: no new runs will start; running ones go on\n');
    expect(readJson(schedulerJson(d.state))).toEqual({ version: 1, seq: 0, frozen: true, pools: {} });
    clearOutput(d);

    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(d.io.stderr).toBe(`queued codex on acme/web (issue #1): ${FROZEN}\n${follow(ws)}`);
    expect(docker.started).toEqual([]);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'queued', seq: 1, waitingFor: FROZEN });
    expect(d.supervisorStarts).toBe(1);

    clearOutput(d);
    expect(await status({}, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE   AGENT  RUNTIME  ELAPSED  QA  NOTE',
        `acme/web/task-1  queued  codex  docker   -        -   ${FROZEN}`,
        '',
        'POOL   LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'codex  1      0        1       -     -',
        '',
        'frozen: no new runs start until "agentctl thaw"',
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe('');
    // Nothing can start while frozen, so status asks for no supervisor.
    expect(d.supervisorStarts).toBe(1);
    expect(docker.started).toEqual([]);

    clearOutput(d);
    expect(await freeze({ frozen: false }, d)).toBe(0);
    expect(d.io.stdout).toBe('thawed: queued runs start as slots free\n');
    expect(d.io.stderr).toBe('');
    expect(docker.started.map((c) => c.spec.name)).toEqual([`agentctl-acme-web-task-1-${homeId(d.state).slice(0, 8)}-1`]);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'running', containerId: 'fake-1', runCount: 1 });
    expect(readJson(schedulerJson(d.state)).frozen).toBe(false);
    expect(d.supervisorStarts).toBe(2);
  });

  it('freeze and thaw through the CLI, with --json', async () => {
    const d = h.setup(fakeRegistry([new ScriptedRuntime('docker')]));
    expect(await cli(d, 'freeze', '--json')).toBe(0);
    expect(await cli(d, 'thaw', '--json')).toBe(0);
    expect(d.io.stdout).toBe('{"frozen":true}\n{"frozen":false}\n');
    expect(d.io.stderr).toBe('');
  });
});

describe('queue: backoff after fast failures', () => {
  it('pauses the pool after three fast failures, shows it, and pool resume lifts it and starts the queued run', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws = (n: number) => h.workspaceOf(d, `task-${n}`);

    for (const n of [1, 2, 3]) {
      docker.steps.push(() => 1);
      clearOutput(d);
      expect(await dispatch({ repo: 'acme/web', issue: String(n), wait: true }, d)).toBe(10);
      expect(d.io.stdout).toBe(`failed: codex on acme/web (agent exited with code 1)\nworkspace: ${ws(n)}\n`);
      const warning =
        n === 3 ? 'warning: pool codex paused until 2026-11-23T10:30:00.000Z after 3 fast failures in a row; "agentctl pool resume codex" lifts it\n' : '';
      expect(d.io.stderr).toBe(
        `[2026-11-23T10:00:00Z] preparing: acme/web issue ${n}\n[2026-11-23T10:00:00Z] starting: codex on acme/web (issue #${n})\n[2026-11-23T10:00:00Z] started codex on acme/web (issue #${n}) in docker container fake-${n}\n${warning}`,
      );
      expect(readJson(schedulerJson(d.state)).pools).toEqual({ codex: n === 3 ? { fastFails: 0, pausedUntil: '2026-11-23T10:30:00.000Z' } : { fastFails: n } });
    }
    expect(d.supervisorStarts).toBe(0);

    clearOutput(d);
    expect(await dispatch({ repo: 'acme/web', issue: '4' }, d)).toBe(0);
    expect(d.io.stderr).toBe(`queued codex on acme/web (issue #4): ${PAUSED}\n${follow(ws(4))}`);
    expect(docker.started).toHaveLength(3);

    clearOutput(d);
    expect(await status({}, d)).toBe(0);
    const failed = (n: number) => `acme/web/task-${n}  failed  codex  docker   0s       -   agent exited with code 1`;
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE   AGENT  RUNTIME  ELAPSED  QA  NOTE',
        failed(1),
        failed(2),
        failed(3),
        `acme/web/task-4  queued  codex  docker   -        -   ${PAUSED}`,
        '',
        'POOL   LIMIT  RUNNING  QUEUED  COST  BACKOFF',
        'codex  1      0        1       -     paused 30m',
        '',
      ].join('\n'),
    );
    expect(docker.started).toHaveLength(3);

    clearOutput(d);
    expect(await poolResume({ args: ['codex'] }, d)).toBe(0);
    expect(d.io.stdout).toBe('pool codex resumed\n');
    expect(d.io.stderr).toBe('');
    expect(readJson(schedulerJson(d.state)).pools).toEqual({ codex: { fastFails: 0 } });
    expect(docker.started.map((c) => c.spec.name)).toEqual([1, 2, 3, 4].map((n) => `agentctl-acme-web-task-${n}-${homeId(d.state).slice(0, 8)}-1`));
    expect(h.statusOf(d, 'task-4')).toMatchObject({ state: 'running', containerId: 'fake-4' });

    clearOutput(d);
    expect(await status({ json: true }, d)).toBe(0);
    expect((JSON.parse(d.io.stdout) as { pools: unknown }).pools).toEqual([
      { pool: 'codex', limit: 1, running: 1, queued: 0, pausedSeconds: 0, fastFails: 0, costUsd: 0 },
    ]);
  });

  it('a slow failure does not count', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: 'backoff:\n  fast_fail_seconds: 0\n' });
    docker.steps.push(() => 1);
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(10);
    expect(readJson(schedulerJson(d.state)).pools).toEqual({ codex: { fastFails: 0 } });
  });

  it('pool resume of a pool without backoff state is unknown_pool (exit 2)', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    docker.steps.push(() => 1);
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(10);
    clearOutput(d);
    expect(await cli(d, 'pool', 'resume', 'nope')).toBe(2);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe('agentctl: pool "nope" has no backoff to lift\nhint: pools with backoff state: codex; "agentctl status" shows every pool\n');
    expect(readJson(schedulerJson(d.state)).pools).toEqual({ codex: { fastFails: 1 } });
  });

  it('pool resume with no backoff state at all lists none', async () => {
    const d = h.setup(fakeRegistry([new ScriptedRuntime('docker')]));
    expect(await cli(d, 'pool', 'resume', 'codex')).toBe(2);
    expect(d.io.stderr).toBe('agentctl: pool "codex" has no backoff to lift\nhint: pools with backoff state: (none); "agentctl status" shows every pool\n');
    expect(existsSync(schedulerJson(d.state))).toBe(false);
  });
});
