import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { clearOutput, isoAfter, jsonLines, manualClock, NOW, readJson, ScriptedRuntime, until, useCommandHarness, withFakeGit } from '../../fakes/command-harness.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';

const h = withFakeGit(withCliVersions(useCommandHarness()));

describe('timeouts', () => {
  it.each<[string, string, number, (ws: string) => string]>([
    ['1 s', '1', 2, () => 'the agent ran longer than its 1 s timeout; retry with a longer one (--timeout 60)'],
    ['45 s', '45', 50, () => 'the agent ran longer than its 45 s timeout; retry with a longer one (--timeout 90)'],
  ])('--timeout %s --wait stops a container that never exits: failed, reason timeout, exit 10', async (_name, timeout, advance, hint) => {
    const docker = new ScriptedRuntime('docker'); // no step: the container runs until stopped
    const d = h.setup(fakeRegistry([docker]), { config: 'timeouts:\n  grace: 3\n' });
    const clock = manualClock();
    d.clock = clock;
    const ws = h.workspaceOf(d, 'task-1');

    const waiting = dispatch({ repo: 'acme/web', issue: '1', timeout, wait: true, json: true }, d);
    await until(() => docker.started.length === 1);
    clock.advance(advance);
    expect(await waiting).toBe(10);

    expect(docker.stopped).toEqual([{ id: 'fake-1', graceSeconds: 3 }]);
    expect(docker.autoRemoved).toEqual(['fake-1']);
    expect(docker.removed).toEqual([]);
    const final = JSON.parse(d.io.stdout) as Record<string, unknown>;
    // --json is the status as stored, plus its summary.
    expect({ ...final, summary: undefined }).toEqual(readJson(join(ws, '.meta', 'status.json')));
    expect(final).toMatchObject({
      state: 'failed',
      reason: 'timeout',
      stopReason: 'timeout',
      exitCode: 143,
      timeoutSeconds: Number(timeout),
      startedAt: NOW,
      finishedAt: isoAfter(advance),
      hint: hint(ws),
    });
    expect(final.qa).toBeUndefined();
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).at(-1)).toEqual({
      type: 'finished',
      at: isoAfter(advance),
      workspace: ws,
      agent: 'codex',
      state: 'failed',
      exitCode: 143,
      reason: 'timeout',
    });
  });

  it('the human summary of a timed-out --wait run', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const clock = manualClock();
    d.clock = clock;
    const ws = h.workspaceOf(d, 'task-1');
    const waiting = dispatch({ repo: 'acme/web', issue: '1', timeout: '1', wait: true }, d);
    await until(() => docker.started.length === 1);
    clock.advance(2);
    expect(await waiting).toBe(10);
    expect(d.io.stdout).toBe(
      `failed: codex on acme/web (timeout)\nhint: the agent ran longer than its 1 s timeout; retry with a longer one (--timeout 60)\nworkspace: ${ws}\n`,
    );
    // Off a terminal, one timestamped line per phase (times left out here).
    expect(d.io.stderr.replace(/^\[[^\]]+\] /gm, '')).toBe(
      'preparing: acme/web issue 1\nstarting: codex on acme/web (issue #1)\nstarted codex on acme/web (issue #1) in docker container fake-1\n',
    );
    expect(docker.stopped).toEqual([{ id: 'fake-1', graceSeconds: 5 }]);
  });

  it('a host claude run that times out is stopped, and the hint offers resume', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: 'agents:\n  claude:\n    host: true\n' });
    const clock = manualClock();
    d.clock = clock;
    const ws = h.workspaceOf(d, 'task-1');
    const waiting = dispatch({ repo: 'acme/web', issue: '1', agent: 'claude', timeout: '1', wait: true }, d);
    await until(() => registry.host.started.length === 1);
    clock.advance(2);
    expect(await waiting).toBe(10);
    expect(registry.host.stopped).toEqual([4242]);
    expect(d.io.stdout).toBe(
      `failed: claude on acme/web (timeout)\nhint: the agent ran longer than its 1 s timeout; retry with a longer one (--timeout 60), or continue it with "agentctl resume ${ws}"\n` +
        `session: 00000000-0000-4000-8000-000000000001; continue with: agentctl resume ${ws}\n` +
        'warning: agent claude runs on the host (agents.claude.host), outside any container: it can read and change everything your user can\n' +
        `workspace: ${ws}\n`,
    );
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({
      state: 'failed',
      reason: 'timeout',
      hint: `the agent ran longer than its 1 s timeout; retry with a longer one (--timeout 60), or continue it with "agentctl resume ${ws}"`,
    });
    // The wrapper goes down with its process group before it can leave an exit code.
    expect(readJson(join(ws, '.meta', 'status.json')).exitCode).toBeUndefined();
  });

  it('without --wait, the next status enforces the timeout', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const clock = manualClock();
    d.clock = clock;
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', timeout: '30' }, d)).toBe(0);

    clock.advance(29);
    clearOutput(d);
    expect(await status({ args: ['acme/web/task-1'] }, d)).toBe(0);
    expect(docker.stopped).toEqual([]);
    expect(d.io.stdout).toBe(['WORKSPACE        STATE    AGENT  RUNTIME  ELAPSED  QA  NOTE', 'acme/web/task-1  running  codex  docker   29s      -', ''].join('\n'));

    clock.advance(1);
    clearOutput(d);
    expect(await status({ args: ['acme/web/task-1'] }, d)).toBe(0);
    expect(docker.stopped).toEqual([{ id: 'fake-1', graceSeconds: 5 }]);
    expect(d.io.stdout).toBe(
      [
        'WORKSPACE        STATE   AGENT  RUNTIME  ELAPSED  QA  NOTE',
        'acme/web/task-1  failed  codex  docker   30s      -   timeout',
        '',
        'failed: codex on acme/web (timeout)',
        'hint: the agent ran longer than its 30 s timeout; retry with a longer one (--timeout 60)',
        `workspace: ${ws}`,
        '',
      ].join('\n'),
    );
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'failed', reason: 'timeout', finishedAt: isoAfter(30) });
  });

  it('the timeout defaults to timeouts.agent from the config', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: 'timeouts:\n  agent: 120\n' });
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').timeoutSeconds).toBe(120);
    expect(readJson(join(h.workspaceOf(d, 'task-1'), '.meta', 'job.json')).timeoutSeconds).toBe(120);
  });
});
