import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as cancel } from '../../../src/cli/commands/cancel.js';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as runQueue } from '../../../src/cli/commands/run-queue.js';
import { clearOutput, cli, jsonLines, NOW, ScriptedRuntime, until, useCommandHarness, withFakeGit } from '../../fakes/command-harness.js';
import { fakeIO } from '../../fakes/fake-io.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';

const h = withFakeGit(withCliVersions(useCommandHarness()));
const LIMIT_1 = 'pools:\n  codex:\n    limit: 1\n';

describe('cancel', () => {
  it('cancels a queued run: no container ever starts for it', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws2 = h.workspaceOf(d, 'task-2');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    expect(h.statusOf(d, 'task-2').state).toBe('queued');

    clearOutput(d);
    expect(await cancel({ args: ['acme/web/task-2'] }, d)).toBe(0);
    expect(d.io.stdout).toBe(`cancelled ${ws2}\n`);
    expect(d.io.stderr).toBe('');
    expect(h.statusOf(d, 'task-2')).toMatchObject({ state: 'cancelled', reason: 'cancelled while queued', finishedAt: NOW, runCount: 0 });
    expect(jsonLines(join(ws2, '.meta', 'events.jsonl')).map((e) => [e.type, e.state ?? null])).toEqual([
      ['queued', null],
      ['finished', 'cancelled'],
    ]);
    expect(docker.stopped).toEqual([]);

    // The slot frees up, and the cancelled run stays cancelled.
    docker.exit('fake-1', 0);
    clearOutput(d);
    expect(await runQueue({}, d)).toBe(0);
    expect(d.io.stdout).toBe(`finished codex in ${h.workspaceOf(d, 'task-1')}: completed\n`);
    expect(d.io.stderr).toBe('0 running, 0 queued\n');
    expect(docker.started.map((c) => c.id)).toEqual(['fake-1']);
    expect(h.statusOf(d, 'task-2').state).toBe('cancelled');
  });

  it('stops a running container with the configured grace and marks the run cancelled', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: 'timeouts:\n  grace: 7\n' });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);

    clearOutput(d);
    expect(await cancel({ args: [ws] }, d)).toBe(0);
    expect(d.io.stdout).toBe(`cancelled ${ws}\n`);
    expect(d.io.stderr).toBe('');
    expect(docker.stopped).toEqual([{ id: 'fake-1', graceSeconds: 7 }]);
    // The engine removes the stopped container itself; agentctl has nothing to remove.
    expect(docker.autoRemoved).toEqual(['fake-1']);
    expect(docker.removed).toEqual([]);
    expect(h.statusOf(d, 'task-1')).toMatchObject({
      state: 'cancelled',
      reason: 'cancelled',
      stopReason: 'cancelled',
      exitCode: 143,
      finishedAt: NOW,
    });
    // No QA for a cancelled run, and a cancel is not a failure of the pool.
    expect(existsSync(join(ws, '.meta', 'qa.log'))).toBe(false);
    expect(existsSync(join(d.state, 'state', 'scheduler.json'))).toBe(false);
  });

  it('--json prints the final status', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    clearOutput(d);
    expect(await cancel({ args: [ws], json: true }, d)).toBe(0);
    expect(JSON.parse(d.io.stdout)).toEqual(h.statusOf(d, 'task-1'));
    expect(docker.stopped).toEqual([{ id: 'fake-1', graceSeconds: 5 }]);
  });

  it('a waiting dispatch of the cancelled run ends with exit 13', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    const waiting = dispatch({ repo: 'acme/web', issue: '1', wait: true }, d);
    await until(() => docker.started.length === 1);
    // Another agentctl process on the same state dir.
    const other = { ...d, io: fakeIO() };
    expect(await cancel({ args: ['acme/web/task-1'] }, other)).toBe(0);
    expect(other.io.stdout).toBe(`cancelled ${ws}\n`);
    expect(await waiting).toBe(13);
    expect(d.io.stdout).toBe(`cancelled: codex on acme/web (cancelled)\nworkspace: ${ws}\n`);
    expect(d.io.stderr.replace(/^\[[^\]]+\] /gm, '')).toBe('preparing: acme/web issue 1\nstarting: codex on acme/web (issue #1)\nstarted codex on acme/web (issue #1) in docker container fake-1\n');
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).map((e) => [e.type, e.state ?? null])).toEqual([
      ['started', null],
      ['finished', 'cancelled'],
    ]);
  });

  it('refuses a finished run with nothing_to_cancel (exit 2)', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    docker.steps.push(() => 0);
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(0);
    const before = h.statusOf(d, 'task-1');
    clearOutput(d);
    expect(await cli(d, 'cancel', 'acme/web/task-1')).toBe(2);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe(`agentctl: nothing to cancel in ${ws}: the run is completed\nhint: only queued and running runs can be cancelled\n`);
    expect(h.statusOf(d, 'task-1')).toEqual(before);
    expect(docker.stopped).toEqual([]);
  });

  it('refuses an unknown workspace (exit 2)', async () => {
    const d = h.setup(fakeRegistry([new ScriptedRuntime('docker')]));
    expect(await cli(d, 'cancel', 'acme/web/task-404')).toBe(2);
    expect(d.io.stderr).toBe('agentctl: no workspace "acme/web/task-404"\nhint: pass a path printed by dispatch, or org/repo/slot; "agentctl status" lists them all\n');
  });
});
