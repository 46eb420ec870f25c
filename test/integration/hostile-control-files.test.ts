import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_AGENT } from '../support/hostile-agent.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines, type TestEngine } from '../support/test-engines.js';

/**
 * The agent owns its container, and nothing in it may steer the host: an
 * agent that rewrites agentctl's control files (status, job, manifest,
 * workspace record, the finish lock), wherever an older layout left them in
 * reach, changes nothing the host does.
 */
const MARKER = join(makeTempDir('hostile-marker'), 'host-was-touched');

const AGENTS = `agents:
  victim-pid:
    command: [sh, -c, 'node hostile.cjs victim-pid']
    env: [VICTIM_PID]
  bystander:
    command: [sh, -c, 'node hostile.cjs bystander']
    env: [BYSTANDER_ID]
  lock:
    command: [sh, -c, 'node hostile.cjs lock']
  host-qa:
    command: [sh, -c, 'HOSTILE_MS=1500 node hostile.cjs host-qa']
  records:
    command: [sh, -c, 'HOSTILE_MS=1500 node hostile.cjs records']
    env: [MARKER]
`;

let forge: Forge;
const engines = await testEngines({ ssh: true });

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'hostile', {
    'hostile.cjs': HOSTILE_AGENT,
    // QA of this repo marks the host if it ever runs outside a container.
    'package.json': JSON.stringify({ name: 'hostile', private: true, scripts: { test: `mkdir -p ${dirname(MARKER)} && touch ${MARKER}` } }),
  });
});
afterAll(() => {
  forge.cleanup();
  rmSync(MARKER, { force: true });
});

function engineCli(engine: TestEngine, ...args: string[]): string {
  const argv = engine.name === 'docker' ? ['-H', engine.engineUrl, ...args] : ['--url', engine.engineUrl, ...args];
  return execFileSync(engine.name, argv, { encoding: 'utf8' }).trim();
}

/** Every file under .meta, read as text: what the host keeps for itself. */
function metaText(ws: string): string {
  const meta = join(ws, '.meta');
  return readdirSync(meta, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
    .join('\n');
}

describe.each(engines)('forged control files on a real $label engine', (engine) => {
  if (!requireEngine(engine)) return;

  function env(extra: Record<string, string> = {}): { env: Record<string, string>; state: string } {
    const home = makeTempDir(`hostile-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n${engine.runtimeYaml}  image: ${TEST_IMAGE}\n${AGENTS}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true', MARKER, ...extra }, state };
  }

  function dispatchWait(e: Record<string, string>, agent: string, issue: string, timeout: number) {
    const started = performance.now();
    const result = runCli(['dispatch', '--repo', 'acme/hostile', '--issue', issue, '--agent', agent, '--runtime', engine.name, '--timeout', String(timeout), '--wait', '--json'], e);
    const seconds = (performance.now() - started) / 1000;
    return { ...result, seconds, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }

  it('a forged pid and runtime "host" in status.json: no process of ours is stopped, and the timeout still ends the run', () => {
    const victim: ChildProcess = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    try {
      const { env: e } = env({ VICTIM_PID: String(victim.pid) });
      const result = dispatchWait(e, 'victim-pid', '1', 4);
      expect(result.status).toMatchObject({ state: 'failed', runtime: engine.name, stopReason: 'timeout' });
      expect(result.seconds).toBeLessThan(40);
      // The victim is still alive: signal 0 throws if it is gone.
      expect(() => process.kill(victim.pid as number, 0)).not.toThrow();
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('a forged containerId of a bystander container: cancel stops the agent, never the bystander', async () => {
    // No stop grace: `podman rm -f` below would otherwise wait 10 s for a sleep that ignores SIGTERM.
    const bystander = engineCli(engine, 'run', '-d', '--rm', '--stop-timeout', '0', TEST_IMAGE, 'sleep', '300');
    try {
      const { env: e, state } = env({ BYSTANDER_ID: bystander });
      expect(runCli(['dispatch', '--repo', 'acme/hostile', '--issue', '2', '--agent', 'bystander', '--runtime', engine.name], e).code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const ws = join(state, 'workspace', 'acme', 'hostile', 'task-2');
      const cancelled = runCli(['cancel', ws, '--json'], e);
      expect(JSON.parse(runCli(['status', ws, '--json'], e).stdout).runs[0]).toMatchObject({ state: 'cancelled', runtime: engine.name });
      expect(cancelled.code).toBe(0);
      expect(engineCli(engine, 'inspect', '-f', '{{.State.Running}}', bystander)).toBe('true');
    } finally {
      engineCli(engine, 'rm', '-f', bystander);
    }
  });

  it('a finish lock pinned with pid 1: the run still ends on its timeout', () => {
    const { env: e } = env();
    const result = dispatchWait(e, 'lock', '3', 4);
    expect(result.status).toMatchObject({ state: 'failed', stopReason: 'timeout' });
    expect(result.seconds).toBeLessThan(40);
  });

  it('runtime "host" forged in status.json: QA still runs in a container, never on the host', () => {
    const { env: e } = env();
    const result = dispatchWait(e, 'host-qa', '4', 60);
    expect(result.status).toMatchObject({ state: 'completed', runtime: engine.name });
    expect(result.status?.qa?.state).toBe('passed');
    expect(existsSync(MARKER)).toBe(false);
  });

  it('forged job.json, manifest.json and workspace.json change nothing the host keeps or does', () => {
    const { env: e, state } = env();
    const result = dispatchWait(e, 'records', '5', 60);
    expect(result.status).toMatchObject({ state: 'completed', runtime: engine.name });
    expect(result.status?.pushed).toBeUndefined();
    const ws = join(state, 'workspace', 'acme', 'hostile', 'task-5');
    expect(metaText(ws)).not.toContain('FORGED');
    expect(existsSync(MARKER)).toBe(false);
  });
});
