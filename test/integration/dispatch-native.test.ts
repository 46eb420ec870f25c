import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';

let forge: Forge;

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'tool', { 'README.md': '# tool\n' });
});
afterAll(() => forge.cleanup());

function env(): { env: Record<string, string>; state: string } {
  const home = makeTempDir('native');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
forges:
  f:
    kind: forgejo
    url: ${forge.url}
agents:
  writer:
    host: true
    command: [sh, -c, 'echo "from the host" > native.txt; echo "prompt has $(wc -c < "$1") bytes"', sh, '{prompt_file}']
  slow:
    host: true
    command: [sh, -c, 'sleep 3; echo done > slow.txt']
  asks:
    native: true
    command: [sh, -c, 'echo "Should I delete the legacy API?" > BLOCKED.md']
`,
  );
  const state = join(home, 'state');
  // No engine anywhere: what runs here runs on the host.
  const noEngine = { DOCKER_HOST: 'unix:///nonexistent/docker.sock', CONTAINER_HOST: 'unix:///nonexistent/podman.sock' };
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, ...noEngine }, state };
}

const HOST_WARNING = (agent: string) => `agent ${agent} runs on the host (agents.${agent}.host), outside any container: it can read and change everything your user can`;

describe('host agents: an explicit opt-in, run on the host', () => {
  it('claude and coderabbit no longer run on the host by default: with no engine they do not run at all', () => {
    const { env: e, state } = env();
    for (const agent of ['claude', 'coderabbit']) {
      const result = runCli(['dispatch', '--repo', 'acme/tool', '--issue', '9', '--agent', agent, '--wait', '--json'], e);
      expect(result.code, result.stderr).not.toBe(0);
      expect(result.stderr).toContain('no container runtime');
      expect(result.stderr).not.toContain('runs on the host');
      expect(existsSync(join(state, 'workspace', 'acme', 'tool', 'task-9', '.meta', 'status.json'))).toBe(false);
    }
  });

  it('runs in repo/, logs as it goes, and completes, warning that it had no sandbox', () => {
    const { env: e, state } = env();
    const result = runCli(['dispatch', '--repo', 'acme/tool', '--issue', '1', '--agent', 'writer', '--wait', '--json'], e);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: ${HOST_WARNING('writer')}\n`);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ state: 'completed', runtime: 'host', exitCode: 0 });
    expect(status.warnings).toContain(HOST_WARNING('writer'));
    expect(typeof status.pid).toBe('number');
    const ws = join(state, 'workspace', 'acme', 'tool', 'task-1');
    expect(readFileSync(join(ws, 'repo', 'native.txt'), 'utf8')).toBe('from the host\n');
    expect(readFileSync(join(ws, 'outbox', 'agent-writer.log'), 'utf8')).toMatch(/prompt has \d{4,} bytes\n$/);
  });

  it('reports a BLOCKED.md question (native: true, the older spelling of host: true)', () => {
    const { env: e } = env();
    const result = runCli(['dispatch', '--repo', 'acme/tool', '--issue', '2', '--agent', 'asks', '--wait'], e);
    expect(result.code).toBe(11);
    expect(result.stderr).toContain(HOST_WARNING('asks'));
    expect(result.stdout).toContain('blocked: asks on acme/tool (agent wrote BLOCKED.md)\nquestion:\n  Should I delete the legacy API?\n');
  });

  it('outlives a SIGKILLed dispatch and is finished by a later status', async () => {
    const { env: e, state } = env();
    const child = spawn(process.execPath, [BIN, 'dispatch', '--repo', 'acme/tool', '--issue', '3', '--agent', 'slow', '--wait'], {
      env: { PATH: process.env.PATH ?? '', ...e },
      stdio: 'ignore',
    });
    const statusFile = join(state, 'workspace', 'acme', 'tool', 'task-3', '.meta', 'status.json');
    const started = () => existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')).pid !== undefined;
    const deadline = Date.now() + 20_000;
    while (!started() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const [run] = JSON.parse(runCli(['status', '--json'], e).stdout).runs;
    expect(run).toMatchObject({ state: 'completed', exitCode: 0, runtime: 'host' });
  });

  it('marks a run abandoned when its process vanished without an exit code', async () => {
    const { env: e, state } = env();
    const started = runCli(['dispatch', '--repo', 'acme/tool', '--issue', '4', '--agent', 'slow'], e);
    expect(started.code).toBe(0);
    const ws = join(state, 'workspace', 'acme', 'tool', 'task-4');
    const { pid } = JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8'));
    process.kill(-pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [run] = JSON.parse(runCli(['status', '--json'], e).stdout).runs;
    expect(run.state).toBe('failed');
    expect(run.reason).toBe('abandoned: the agent process is gone and left no exit code');
  });
});
