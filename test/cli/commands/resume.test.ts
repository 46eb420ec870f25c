import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as resume } from '../../../src/cli/commands/resume.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { SANDBOX_NOTE } from '../../../src/core/agents/agent-argv.js';
import { clearOutput, cli, NOW, readJson, ScriptedRuntime, until, useCommandHarness } from '../../fakes/command-harness.js';
import type { FakeDeps } from '../../fakes/fake-deps.js';
import { fakeRegistry, type FakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';
import { HOST_SCRIPT } from '../../support/wrapper-scripts.js';

const h = withCliVersions(useCommandHarness());
const SESSION = '00000000-0000-4000-8000-000000000001';
/** These runs are claude on the host: an explicit opt-in, warned about on each dispatch. */
const HOST_CLAUDE = 'agents:\n  claude:\n    host: true\n';

/** A claude run on issue 1 that started (pid 4242), ended with `exitCode` and was finished by a status. */
async function finishedClaudeRun(d: FakeDeps, registry: FakeRegistry, agent = 'claude', exitCode = 0): Promise<void> {
  expect(await dispatch({ repo: 'acme/web', issue: '1', agent }, d)).toBe(0);
  registry.host.finish(4242, exitCode);
  expect(await status({}, d)).toBe(0);
  clearOutput(d);
}

const wrapped = (ws: string) => [
  'env',
  `AGENTCTL_LOG=${ws}/outbox/agent-claude.log`,
  'AGENTCTL_STDIN=/dev/null',
  `AGENTCTL_EXIT=${ws}/outbox/exit-code`,
  `AGENTCTL_PID=${ws}/.meta/pid`,
  'sh',
  '-c',
  HOST_SCRIPT,
  'agentctl-run',
];
const CLAUDE = ['claude', '-p'];
const FLAGS = ['--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--append-system-prompt', SANDBOX_NOTE];

describe('resume', () => {
  it.each<[string, string, number, string[]]>([
    ['a completed run', 'claude', 0, []],
    ['a failed run, keeping its model', 'claude:opus', 1, ['--model', 'opus']],
  ])('continues the session of %s with --resume and the new task', async (_name, agent, exitCode, model) => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    await finishedClaudeRun(d, registry, agent, exitCode);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: exitCode === 0 ? 'completed' : 'failed', sessionId: SESSION });
    expect(registry.host.started[0]!.spec.argv).toContain('--session-id');

    expect(await resume({ args: ['acme/web/task-1'], task: 'Now add tests for it' }, d)).toBe(0);
    expect(d.io.stdout).toBe(`${ws}\n`);
    expect(d.io.stderr).toBe(
      `started ${agent} (resuming session ${SESSION}) in host process 4243\nfollow: agentctl status ${ws}   log: ${ws}/outbox/agent-claude.log\n`,
    );
    expect(registry.host.started).toHaveLength(2);
    const second = registry.host.started[1]!;
    expect(second.pid).toBe(4243);
    expect(second.spec.cwd).toBe(join(ws, 'repo'));
    expect(second.spec.argv).toEqual([...wrapped(ws), ...CLAUDE, 'Now add tests for it', ...FLAGS, ...model, '--resume', SESSION]);
    expect(second.spec.argv).not.toContain('--session-id');

    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'running', runtime: 'host', pid: 4243, sessionId: SESSION, runCount: 2, startedAt: NOW, timeoutSeconds: 3600 });
    expect(h.statusOf(d, 'task-1').reason).toBeUndefined();
    expect(readJson(join(ws, '.meta', 'job.json')).agentArgv).toEqual([...CLAUDE, 'Now add tests for it', ...FLAGS, ...model, '--resume', SESSION]);
    expect(readFileSync(join(ws, 'outbox', 'agent-claude.log'), 'utf8')).toBe(
      `=== agentctl run 1: ${agent} started ${NOW} ===\n=== agentctl run 2: ${agent} started ${NOW} ===\n`,
    );
    expect(d.supervisorStarts).toBe(2);
  });

  it('without --task says to continue, and --wait --timeout follow the resumed run', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    await finishedClaudeRun(d, registry);
    const waiting = cli(d, 'resume', 'acme/web/task-1', '--wait', '--timeout', '600');
    await until(() => registry.host.started.length === 2);
    // The resumed agent gets on with it (a resumed run that changed nothing would be "completed (no changes)").
    writeFileSync(join(ws, 'repo', 'more.txt'), 'continued\n');
    registry.host.finish(4243, 0);
    expect(await waiting).toBe(0);
    expect(registry.host.started[1]!.spec.argv.slice(9, 12)).toEqual(['claude', '-p', 'Continue where you left off.']);
    expect(d.io.stdout).toBe(
      [
        'completed: claude on acme/web',
        'not pushed: push was not asked for (--push, or defaults.push in the config)',
        `QA: skipped (no go.mod, composer.json or package.json; set repos.<org/name>.qa to run QA); log ${ws}/.meta/qa.log`,
        `session: ${SESSION}; continue with: agentctl resume ${ws}`,
        'warning: agent claude runs on the host (agents.claude.host), outside any container: it can read and change everything your user can',
        `workspace: ${ws}`,
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe(`[2026-11-23T10:00:00Z] starting: claude (resuming session ${SESSION})\n[2026-11-23T10:00:00Z] started claude (resuming session ${SESSION}) in host process 4243\n`);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'completed', runCount: 2, timeoutSeconds: 600 });
    expect(h.statusOf(d, 'task-1').noChanges).toBeUndefined();
  });

  it('a resumed run gets its own startCommit and noChanges verdict', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    // The first run changes nothing.
    await finishedClaudeRun(d, registry);
    const first = h.statusOf(d, 'task-1');
    expect(first).toMatchObject({ state: 'completed', noChanges: true, startCommit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    // The resumed one commits its work.
    expect(await resume({ args: ['acme/web/task-1'], task: 'Now do it' }, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').noChanges).toBeUndefined();
    expect(h.statusOf(d, 'task-1').startCommit).toBe(first.startCommit);
    writeFileSync(join(ws, 'repo', 'README.md'), '# web, done\n');
    execFileSync('git', ['-C', join(ws, 'repo'), '-c', 'user.name=a', '-c', 'user.email=a@localhost', 'commit', '--quiet', '--all', '--message', 'done'], { stdio: 'ignore' });
    registry.host.finish(4243, 0);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'completed', runCount: 2, startCommit: first.startCommit });
    expect(h.statusOf(d, 'task-1').noChanges).toBeUndefined();
  });

  it('refuses a running run with still_active (exit 2)', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude' }, d)).toBe(0);
    clearOutput(d);
    expect(await cli(d, 'resume', 'acme/web/task-1')).toBe(2);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe(`agentctl: the run in ${ws} is still running\nhint: wait for it, or "agentctl cancel ${ws}" first\n`);
    expect(registry.host.started).toHaveLength(1);
  });

  it('refuses a queued run with still_active (exit 2)', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: `${HOST_CLAUDE}pools:\n  claude:\n    limit: 1\n` });
    const ws2 = h.workspaceOf(d, 'task-2');
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2', agent: 'claude' }, d)).toBe(0);
    clearOutput(d);
    expect(await cli(d, 'resume', ws2)).toBe(2);
    expect(d.io.stderr).toBe(`agentctl: the run in ${ws2} is still queued\nhint: wait for it, or "agentctl cancel ${ws2}" first\n`);
  });

  it('refuses a codex run with resume_unsupported (exit 2)', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    docker.steps.push(() => 0);
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(0);
    clearOutput(d);
    expect(await cli(d, 'resume', 'acme/web/task-1')).toBe(2);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe(
      `agentctl: the run in ${ws} (codex) has no session to resume\nhint: resume continues claude sessions; for other agents dispatch again with a new --task\n`,
    );
    expect(docker.started).toHaveLength(1);
  });

  it('refuses a workspace that was only prepared (dry run) with nothing_to_resume (exit 2)', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude', dryRun: true }, d)).toBe(0);
    clearOutput(d);
    expect(await cli(d, 'resume', 'acme/web/task-1')).toBe(2);
    expect(d.io.stderr).toBe(`agentctl: ${ws} has no finished run to resume\nhint: dispatch a run first\n`);
    expect(registry.host.started).toEqual([]);
  });
});
