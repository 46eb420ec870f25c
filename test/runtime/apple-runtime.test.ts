import { describe, expect, it } from 'vitest';
import { agentMounts, type ContainerSpec } from '../../src/core/container/container-spec.js';
import { buildHardening } from '../../src/core/container/hardening.js';
import { AgentctlError, ExitCode } from '../../src/core/errors.js';
import { AppleRuntime, type ExecFn, type ExecOptions, type ExecResult } from '../../src/runtime/apple-runtime.js';

/** A stand-in for Apple's `container` CLI: records each command line and answers from a script. */
function fakeCli(...answers: Array<Partial<ExecResult>>): { calls: Array<{ argv: string[]; options: ExecOptions }>; exec: ExecFn } {
  const calls: Array<{ argv: string[]; options: ExecOptions }> = [];
  const exec: ExecFn = async (argv, options) => {
    calls.push({ argv, options });
    return { stdout: '', stderr: '', exitCode: 0, ...answers.shift() };
  };
  return { calls, exec };
}

async function rejection(promise: Promise<unknown>): Promise<AgentctlError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught, 'expected the call to reject').toBeInstanceOf(AgentctlError);
  return caught as AgentctlError;
}

const SECRET = 'sk-very-secret-value';

const spec: ContainerSpec = {
  image: 'localhost/agentctl-agent:latest',
  name: 'agentctl-run-1',
  labels: { 'dev.agentctl.run': 'run-1', 'dev.agentctl.repo': 'acme/web' },
  mounts: agentMounts('/Users/ada/.agentctl/ws/run-1'),
  configMounts: [{ hostPath: '/Users/ada/.claude/.credentials.json', containerPath: '/agentctl/credentials/.claude/.credentials.json' }],
  hardening: buildHardening({ home: '/home/agent', limits: { pids: 512, memory: '2g', cpus: 1.5 } }),
  workdir: '/workspace/repo',
  env: [{ name: 'TERM', value: 'dumb' }, { name: 'ANTHROPIC_API_KEY' }, { name: 'UNSET_KEY' }],
  user: '501:20',
  gpu: false,
  extraHosts: [],
  argv: ['claude', '-p', 'Fix the bug'],
  stdin: false,
  autoRemove: true,
};

function snapshot(id: string, status: unknown, labels: Record<string, string>): unknown {
  return { configuration: { id, labels, image: { reference: spec.image } }, status, networks: [] };
}

describe('AppleRuntime.start', () => {
  it('runs `container run --detach --rm` with the spec, secrets only in the child environment', async () => {
    const cli = fakeCli({ stdout: 'agentctl-run-1\n' });
    const runtime = new AppleRuntime({ exec: cli.exec });
    expect(await runtime.start(spec, { ANTHROPIC_API_KEY: SECRET, PATH: '/usr/bin' })).toEqual({ id: 'agentctl-run-1' });
    expect(cli.calls).toEqual([
      {
        argv: [
          'container', 'run', '--detach', '--rm', '--name', 'agentctl-run-1',
          '--label', 'dev.agentctl.run=run-1', '--label', 'dev.agentctl.repo=acme/web',
          '--volume', '/Users/ada/.agentctl/ws/run-1/repo:/workspace/repo',
          '--volume', '/Users/ada/.agentctl/ws/run-1/outbox:/workspace/outbox',
          '--volume', '/Users/ada/.agentctl/ws/run-1/inbox:/workspace/inbox:ro',
          '--volume', '/Users/ada/.claude/.credentials.json:/agentctl/credentials/.claude/.credentials.json:ro',
          '--workdir', '/workspace/repo', '--user', '501:20',
          // Apple's CLI has no no-new-privileges, pids limit or read-only root: dispatch warns about those.
          '--cap-drop', 'ALL', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp', '--tmpfs', '/home/agent', '--memory', '2g', '--cpus', '1.5',
          '--env', 'TERM=dumb', '--env', 'ANTHROPIC_API_KEY',
          'localhost/agentctl-agent:latest', 'claude', '-p', 'Fix the bug',
        ],
        options: { env: { ANTHROPIC_API_KEY: SECRET } },
      },
    ]);
    expect(cli.calls[0]!.argv.join(' ')).not.toContain(SECRET);
  });

  it('takes the id from the last line the CLI prints', async () => {
    const cli = fakeCli({ stdout: 'Starting container\nagentctl-run-1\n' });
    expect(await new AppleRuntime({ exec: cli.exec }).start(spec, {})).toEqual({ id: 'agentctl-run-1' });
  });

  it('raises the CLI error', async () => {
    const cli = fakeCli({ exitCode: 1, stderr: 'Error: image not pulled\n' });
    const error = await rejection(new AppleRuntime({ exec: cli.exec }).start(spec, {}));
    expect(error.code).toBe('engine_error');
    expect(error.exitCode).toBe(ExitCode.environment);
    expect(error.message).toBe('Apple container run of agentctl-run-1 failed: Error: image not pulled');
  });

  it('refuses a spec that wants stdin, running nothing', async () => {
    const cli = fakeCli();
    const error = await rejection(new AppleRuntime({ exec: cli.exec }).start({ ...spec, stdin: true }, {}));
    expect(error.code).toBe('engine_stdin');
    expect(cli.calls).toEqual([]);
  });

  it('refuses a run without a network, which its CLI cannot give, rather than run it networked', async () => {
    const cli = fakeCli();
    const offline = { ...spec, hardening: { ...spec.hardening, network: 'none' as const } };
    const error = await rejection(new AppleRuntime({ exec: cli.exec }).start(offline, {}));
    expect(error.code).toBe('engine_network');
    expect(error.hint).toContain('agents.<name>.network');
    expect(cli.calls).toEqual([]);
  });
});

describe('AppleRuntime state', () => {
  it('inspects both status shapes: a string (before 1.0) and an object (1.0)', async () => {
    const cli = fakeCli(
      { stdout: JSON.stringify([snapshot('a', 'running', { k: 'v' })]) },
      { stdout: JSON.stringify([snapshot('b', { state: 'stopped', startedDate: '2026-01-02T03:04:05Z' }, {})]) },
    );
    const runtime = new AppleRuntime({ exec: cli.exec });
    expect(await runtime.inspect('a')).toEqual({
      id: 'a', running: true, exitCode: undefined, killed: false, labels: { k: 'v' }, startedAt: undefined, finishedAt: undefined,
    });
    expect(await runtime.inspect('b')).toMatchObject({ id: 'b', running: false, exitCode: undefined, startedAt: '2026-01-02T03:04:05Z' });
    expect(cli.calls.map((call) => call.argv)).toEqual([['container', 'inspect', 'a'], ['container', 'inspect', 'b']]);
  });

  it('reads Foundation dates (seconds since 2001)', async () => {
    const cli = fakeCli({ stdout: JSON.stringify([{ ...(snapshot('a', 'running', {}) as object), startedDate: 86400 }]) });
    expect((await new AppleRuntime({ exec: cli.exec }).inspect('a'))?.startedAt).toBe('2001-01-02T00:00:00.000Z');
  });

  it('treats an unknown container as gone', async () => {
    const cli = fakeCli({ exitCode: 1, stderr: 'Error: get failed: container x not found' }, { stdout: '[]' });
    const runtime = new AppleRuntime({ exec: cli.exec });
    expect(await runtime.inspect('x')).toBeUndefined();
    expect(await runtime.inspect('x')).toBeUndefined();
  });

  it('lists all containers and keeps those with every label', async () => {
    const cli = fakeCli({
      stdout: JSON.stringify([
        snapshot('mine', 'stopped', { 'dev.agentctl.run': 'run-1', other: 'x' }),
        snapshot('other-run', 'running', { 'dev.agentctl.run': 'run-2' }),
        snapshot('unlabelled', 'running', {}),
      ]),
    });
    const found = await new AppleRuntime({ exec: cli.exec }).list({ 'dev.agentctl.run': 'run-1' });
    expect(found.map((state) => state.id)).toEqual(['mine']);
    expect(cli.calls.map((call) => call.argv)).toEqual([['container', 'list', '--all', '--format', 'json']]);
  });

  it('waits by polling until stopped, then says the CLI has no exit code', async () => {
    const cli = fakeCli({ stdout: JSON.stringify([snapshot('a', 'running', {})]) }, { stdout: JSON.stringify([snapshot('a', { state: 'stopped' }, {})]) });
    const error = await rejection(new AppleRuntime({ exec: cli.exec, pollMs: 1 }).wait('a'));
    expect(error.code).toBe('engine_exit_code');
    expect(cli.calls).toHaveLength(2);
  });
});

describe('AppleRuntime stop, remove, images', () => {
  it('stops with a grace time and deletes, both idempotent', async () => {
    const cli = fakeCli({}, { exitCode: 1, stderr: 'container a not found' }, {}, { exitCode: 1, stderr: 'container a not found' });
    const runtime = new AppleRuntime({ exec: cli.exec });
    await runtime.stop('a', 5);
    await runtime.stop('a', 5);
    await runtime.remove('a');
    await runtime.remove('a');
    expect(cli.calls.map((call) => call.argv)).toEqual([
      ['container', 'stop', '--time', '5', 'a'],
      ['container', 'stop', '--time', '5', 'a'],
      ['container', 'delete', 'a'],
      ['container', 'delete', 'a'],
    ]);
  });

  it('raises other stop failures', async () => {
    const cli = fakeCli({ exitCode: 1, stderr: 'XPC connection error' });
    const error = await rejection(new AppleRuntime({ exec: cli.exec }).stop('a', 5));
    expect(error.message).toBe('Apple container stop of a failed: XPC connection error');
  });

  it('checks images with `container image inspect`', async () => {
    const cli = fakeCli({}, { exitCode: 1, stderr: 'Error: image localhost/none not found' });
    const runtime = new AppleRuntime({ exec: cli.exec });
    expect(await runtime.hasImage('localhost/agentctl-agent:latest')).toBe(true);
    expect(await runtime.hasImage('localhost/none')).toBe(false);
    expect(cli.calls.map((call) => call.argv)).toEqual([
      ['container', 'image', 'inspect', 'localhost/agentctl-agent:latest'],
      ['container', 'image', 'inspect', 'localhost/none'],
    ]);
  });

  it('reports a missing CLI through the real subprocess path as an engine error', async () => {
    // No `container` binary on Linux: execa's spawn failure must not look like "not found".
    const error = await rejection(new AppleRuntime({ platform: 'darwin' }).hasImage('x'));
    expect(error.code).toBe('engine_error');
    expect(error.message).toContain('ENOENT');
  });
});

describe('AppleRuntime.probe', () => {
  it('is not ok off macOS, without running anything', async () => {
    const cli = fakeCli();
    expect(await new AppleRuntime({ exec: cli.exec, platform: 'linux' }).probe()).toEqual({
      runtime: 'apple', ok: false, detail: 'Apple container runs only on macOS', endpoint: 'container',
    });
    expect(cli.calls).toEqual([]);
  });

  it.runIf(process.platform !== 'darwin')('takes the platform from the process by default', async () => {
    expect(await new AppleRuntime().probe()).toMatchObject({ ok: false, detail: 'Apple container runs only on macOS' });
  });

  it('on macOS reports the CLI version once the services answer', async () => {
    const cli = fakeCli({ stdout: 'container CLI version 0.5.0\n' }, { stdout: 'apiserver is running\n' });
    expect(await new AppleRuntime({ exec: cli.exec, platform: 'darwin' }).probe()).toEqual({
      runtime: 'apple', ok: true, detail: 'container CLI version 0.5.0', endpoint: 'container',
    });
    expect(cli.calls).toEqual([
      { argv: ['container', '--version'], options: { timeoutMs: 5000 } },
      { argv: ['container', 'system', 'status'], options: { timeoutMs: 5000 } },
    ]);
  });

  it('on macOS is not ok when the services are stopped', async () => {
    const cli = fakeCli({ stdout: 'container CLI version 0.5.0\n' }, { exitCode: 1, stderr: 'apiserver is not running\n' });
    const availability = await new AppleRuntime({ exec: cli.exec, platform: 'darwin' }).probe();
    expect(availability.ok).toBe(false);
    expect(availability.detail).toBe('container services are not running (container system start): apiserver is not running');
  });
});
