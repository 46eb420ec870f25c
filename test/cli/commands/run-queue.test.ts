import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as runQueue } from '../../../src/cli/commands/run-queue.js';
import { workspaceLayout } from '../../../src/core/workspace/layout.js';
import { clearOutput, ScriptedRuntime, until, useCommandHarness, withFakeGit } from '../../fakes/command-harness.js';
import { fakeIO } from '../../fakes/fake-io.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';
import { homeId } from '../../../src/run/home-id.js';

const h = withFakeGit(withCliVersions(useCommandHarness()));
const LIMIT_1 = 'pools:\n  codex:\n    limit: 1\n';
/** Passes over every run so rare that a test only ends if ending runs refill their slots themselves. */
const WATCH_ONLY = { passMs: 600_000, watchMs: 5 };
const FAST = { passMs: 5, watchMs: 5 };

/** Hold the supervisor lock as another live process would; returns a way to let that process die. */
function otherSupervisor(state: string): () => Promise<void> {
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  const lock = join(state, 'state', 'supervisor.lock');
  mkdirSync(lock, { recursive: true });
  writeFileSync(join(lock, 'pid'), String(holder.pid));
  return () =>
    new Promise((resolve) => {
      holder.once('exit', () => resolve());
      holder.kill('SIGKILL');
    });
}

describe('run-queue --follow', () => {
  it('starts each queued run the moment the one before it ends, and returns once nothing is left', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws = (n: number) => h.workspaceOf(d, `task-${n}`);
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '3', priority: '1' }, d)).toBe(0);
    docker.steps.push(() => 0, () => 2);
    docker.exit('fake-1', 0);
    clearOutput(d);

    expect(await runQueue({ follow: true }, d, WATCH_ONLY)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        `finished codex in ${ws(1)}: completed`,
        `started codex in ${ws(3)}`,
        `finished codex in ${ws(3)}: completed`,
        `started codex in ${ws(2)}`,
        `finished codex in ${ws(2)}: failed (agent exited with code 2)`,
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe('');
    expect(docker.started.map((c) => c.spec.name)).toEqual([1, 3, 2].map((n) => `agentctl-acme-web-task-${n}-${homeId(d.state).slice(0, 8)}-1`));
    expect(docker.autoRemoved).toEqual(['fake-1', 'fake-2', 'fake-3']);
    expect(docker.removed).toEqual([]);
  });

  it('is the one supervisor while it runs: a background one started meanwhile exits at once', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    clearOutput(d);
    const following = runQueue({ follow: true }, d, FAST);
    await until(() => existsSync(join(d.state, 'state', 'supervisor.lock', 'pid')));

    const background = { ...d, io: fakeIO() };
    expect(await runQueue({ supervise: true }, background, FAST)).toBe(0);
    expect(background.io.stdout).toBe('');
    docker.exit('fake-1', 0);
    await until(() => docker.started.length === 2);
    docker.exit('fake-2', 0);
    expect(await following).toBe(0);
    expect(d.io.stdout).toContain(`started codex in ${h.workspaceOf(d, 'task-2')}\n`);
  });

  it('leaves the work to a live supervisor, reports what it does, and takes over when it dies', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws = (n: number) => h.workspaceOf(d, `task-${n}`);
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    const die = otherSupervisor(d.state);
    clearOutput(d);
    const following = runQueue({ follow: true }, d, FAST);

    docker.exit('fake-1', 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Many passes later the ended run is still the other supervisor's to finish.
    expect(h.statusOf(d, 'task-1').state).toBe('running');
    expect(await runQueue({}, { ...d, io: fakeIO() })).toBe(0);
    await until(() => d.io.stdout.includes(`started codex in ${ws(2)}\n`) && d.io.stdout.includes(`finished codex in ${ws(1)}: completed\n`));

    docker.exit('fake-2', 0);
    await die();
    expect(await following).toBe(0);
    expect(d.io.stdout).toContain(`finished codex in ${ws(2)}: completed\n`);
    expect(h.statusOf(d, 'task-2').state).toBe('completed');
  });

  it('says nothing of one failed look at a running agent, and warns when the next one fails too', async () => {
    class FlakyRuntime extends ScriptedRuntime {
      failures = 0;
      override async inspect(id: string) {
        if (this.failures > 0) {
          this.failures -= 1;
          throw new Error('read /proc/4242/cgroup: no such process');
        }
        return super.inspect(id);
      }
    }
    const docker = new FlakyRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    docker.failures = 1;
    docker.exit('fake-1', 0);
    clearOutput(d);
    expect(await runQueue({ follow: true }, d, WATCH_ONLY)).toBe(0);
    expect(d.io.stdout).toBe(`finished codex in ${ws}: completed\n`);
    expect(d.io.stderr).toBe('');

    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    docker.failures = 2;
    docker.exit('fake-2', 0);
    clearOutput(d);
    expect(await runQueue({ follow: true }, d, WATCH_ONLY)).toBe(0);
    expect(d.io.stderr).toBe(`warning: could not check ${h.workspaceOf(d, 'task-2')}: read /proc/4242/cgroup: no such process\n`);
  });
});

describe('run-queue and a job queued by an agentctl before the container hardening', () => {
  it('does not start it without the hardening: the run fails, saying why and how to dispatch it again', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(await dispatch({ repo: 'acme/web', issue: '2' }, d)).toBe(0);
    const ws = h.workspaceOf(d, 'task-2');
    // What an older agentctl wrote: the same job, with no hardening in its container spec.
    const jobFile = workspaceLayout(ws).job;
    const job = JSON.parse(readFileSync(jobFile, 'utf8'));
    delete job.run.spec.hardening;
    writeFileSync(jobFile, JSON.stringify(job));
    docker.exit('fake-1', 0);
    clearOutput(d);

    expect(await runQueue({ follow: true }, d, FAST)).toBe(0);
    expect(docker.started.map((c) => c.spec.name)).toEqual([`agentctl-acme-web-task-1-${homeId(d.state).slice(0, 8)}-1`]);
    const status = JSON.parse(readFileSync(workspaceLayout(ws).status, 'utf8'));
    expect(status).toMatchObject({ state: 'failed' });
    expect(status.reason).toContain('queued by an older agentctl, without the container hardening');
  });
});
