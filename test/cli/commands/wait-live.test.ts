import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as freeze } from '../../../src/cli/commands/freeze.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { AgentctlError } from '../../../src/core/errors.js';
import { writeSchedulerState } from '../../../src/run/scheduler-store.js';
import { clearOutput, IMAGE, readJson, ScriptedRuntime, until, useCommandHarness } from '../../fakes/command-harness.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';

const h = withCliVersions(useCommandHarness());

async function rejection(promise: Promise<unknown>): Promise<AgentctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentctlError);
  return error as AgentctlError;
}

/** stderr without the times of its phase lines. */
const untimed = (text: string) => text.replace(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] /gm, '');

/** What claude -p --output-format stream-json prints for a short run that was denied one tool. */
const CLAUDE_EVENTS = [
  { type: 'system', subtype: 'init', session_id: 'sess-42', model: 'sonnet' },
  { type: 'assistant', message: { content: [{ type: 'tool_use', name: 'Bash', input: { command: 'npm test' } }] } },
  { type: 'result', subtype: 'success', is_error: false, num_turns: 6, total_cost_usd: 0.4213, session_id: 'sess-42', permission_denials: [{ tool_name: 'WebFetch' }] },
]
  .map((event) => `${JSON.stringify(event)}\n`)
  .join('');

describe('--wait that is live and honest', () => {
  it('on a frozen queue says so at once, naming the freeze and how to thaw; --wait-timeout ends the wait (exit 14), not the run', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    expect(await freeze({ frozen: true }, d)).toBe(0);
    clearOutput(d);
    const started = Date.now();
    const error = await rejection(dispatch({ repo: 'acme/web', issue: '1', wait: true, waitTimeout: '1' }, d));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error.code).toBe('wait_timeout');
    expect(error.exitCode).toBe(14);
    const ws = h.workspaceOf(d, 'task-1');
    expect(error.message).toBe(`the run in ${ws} is still queued after --wait-timeout 1 s; it goes on without this wait`);
    expect(error.hint).toContain(`agentctl logs -f ${ws}`);
    expect(untimed(d.io.stderr).split('\n')).toEqual([
      'preparing: acme/web issue 1',
      'queued codex on acme/web (issue #1): agentctl is frozen; "agentctl thaw" resumes starting runs',
      '',
    ]);
    // The run stays queued, and a supervisor is there to start it once thawed.
    expect(h.statusOf(d, 'task-1').state).toBe('queued');
    expect(docker.started).toHaveLength(0);
    expect(d.supervisorStarts).toBeGreaterThanOrEqual(1);
  });

  it('on a paused pool says for how long and how to resume it', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    writeSchedulerState(d.state, { version: 1, seq: 0, frozen: false, pools: { codex: { fastFails: 0, pausedUntil: '2026-11-23T10:12:00.000Z' } } });
    const error = await rejection(dispatch({ repo: 'acme/web', issue: '1', wait: true, waitTimeout: '1' }, d));
    expect(error.code).toBe('wait_timeout');
    expect(untimed(d.io.stderr)).toContain(
      'queued codex on acme/web (issue #1): pool codex is paused for 12m after repeated fast failures; "agentctl pool resume codex" lifts it\n',
    );
  });

  it('--wait-timeout leaves a running agent running', async () => {
    const docker = new ScriptedRuntime('docker'); // no step: the agent keeps running
    const d = h.setup(fakeRegistry([docker]));
    const error = await rejection(dispatch({ repo: 'acme/web', issue: '1', wait: true, waitTimeout: '1' }, d));
    expect(error.exitCode).toBe(14);
    expect(error.message).toContain('is still running after --wait-timeout 1 s');
    expect(docker.stopped).toEqual([]);
    expect(h.statusOf(d, 'task-1').state).toBe('running');
  });

  it('--wait-timeout without --wait is refused before anything is made', async () => {
    const d = h.setup(fakeRegistry([new ScriptedRuntime('docker')]));
    const error = await rejection(dispatch({ repo: 'acme/web', issue: '1', waitTimeout: '5' }, d));
    expect(error.code).toBe('wait_timeout_without_wait');
  });

  it('the summary names cost, turns, denied tools, the session to resume and why nothing was pushed; --json carries them', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    docker.steps.push(() => {
      appendFileSync(join(ws, 'outbox', 'agent-claude.log'), CLAUDE_EVENTS);
      writeFileSync(join(ws, 'repo', 'fix.txt'), 'fixed\n');
      return 0;
    });
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude', wait: true }, d)).toBe(0);
    expect(d.io.stdout.split('\n')).toEqual([
      'completed: claude on acme/web',
      'not pushed: push was not asked for (--push, or defaults.push in the config)',
      expect.stringMatching(/^QA: skipped/),
      'denied tools: WebFetch (the result may be incomplete)',
      'cost: $0.42, 6 turns',
      // agentctl names claude's session itself (--session-id), so resume finds it.
      `session: ${String(h.statusOf(d, 'task-1').sessionId)}; continue with: agentctl resume ${ws}`,
      `workspace: ${ws}`,
      '',
    ]);

    const json = h.setup(fakeRegistry([docker]));
    const ws2 = h.workspaceOf(json, 'task-2');
    docker.steps.push(() => {
      appendFileSync(join(ws2, 'outbox', 'agent-claude.log'), CLAUDE_EVENTS);
      return 0;
    });
    expect(await dispatch({ repo: 'acme/web', issue: '2', agent: 'claude', wait: true, json: true }, json)).toBe(0);
    expect(JSON.parse(json.io.stdout).summary).toMatchObject({
      outcome: 'completed (no changes)',
      deniedTools: ['WebFetch'],
      costUsd: 0.4213,
      turns: 6,
      sessionId: h.statusOf(json, 'task-2').sessionId,
      next: `agentctl resume ${ws2}`,
      notPushed: null,
    });
  });

  it('a QA command whose tool is missing from the image (exit 127) fails with a hint to install it there', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: 'repos:\n  acme/web:\n    qa: ["pnpm test"]\n' });
    const ws = h.workspaceOf(d, 'task-1');
    docker.steps.push(
      () => {
        writeFileSync(join(ws, 'repo', 'fix.txt'), 'fixed\n');
        return 0;
      },
      () => {
        writeFileSync(join(ws, 'outbox', 'qa-failed-command'), 'pnpm test');
        return 127;
      },
    );
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(12);
    const hint = `exit code 127 is "command not found": install pnpm (or a tool it runs) in the image ${IMAGE}, or set repos.<org/name>.qa to commands the image has`;
    expect(d.io.stdout).toContain(`QA: failed ("pnpm test" failed (exit code 127)); log ${ws}/.meta/qa.log\nQA hint: ${hint}\n`);
    expect((readJson(join(ws, '.meta', 'status.json')).qa as Record<string, unknown>).hint).toBe(hint);
  });

  it('status names the freeze for a run queued behind a full pool before the freeze', async () => {
    const docker = new ScriptedRuntime('docker'); // the first agent keeps running
    const d = h.setup(fakeRegistry([docker]));
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    await until(() => h.statusOf(d, 'task-2').state === 'queued');
    expect(await freeze({ frozen: true }, d)).toBe(0);
    clearOutput(d);
    expect(await status({ args: ['acme/web/task-2'] }, d)).toBe(0);
    expect(d.io.stdout).toContain('agentctl is frozen; "agentctl thaw" resumes starting runs');
    expect(d.io.stdout).not.toContain('at its limit');
    clearOutput(d);
    expect(await status({ json: true }, d)).toBe(0);
    const queued = (JSON.parse(d.io.stdout).runs as Array<Record<string, unknown>>).find((r) => r.state === 'queued');
    expect(queued?.waitingFor).toBe('agentctl is frozen; "agentctl thaw" resumes starting runs');
  });
});
