import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHardening } from '../../src/core/container/hardening.js';
import { hostGateway } from '../../src/core/container/host-gateway.js';
import { AGENT_HOME, AGENT_WORKDIR, agentMounts, LABEL_PREFIX, renderRunArgv, type ContainerSpec } from '../../src/core/container/container-spec.js';
import { CONTAINER_PATHS } from '../../src/core/workspace/layout.js';
import { AgentctlError, ExitCode } from '../../src/core/errors.js';
import { wrapContainerArgv } from '../../src/core/run/wrap-argv.js';
import { DockerodeRuntime } from '../../src/runtime/dockerode-runtime.js';
import { LIBPOD_CREATE_PATH, libpodCreateBody } from '../../src/runtime/libpod-create.js';
import { parseEngineUrl, type EngineName } from '../../src/runtime/engine-endpoint.js';

const IMAGE = process.env.AGENTCTL_TEST_IMAGE;
const SETUP = 'run `bash test/support/engines.sh all` and `eval "$(bash test/support/engines.sh env)"`';
const RUN_LABEL = `${LABEL_PREFIX}.test-run`;
const RUN = `dockerode-${process.pid}-${Date.now()}`;

async function connect(name: EngineName, url: string | undefined): Promise<{ runtime?: DockerodeRuntime; reason?: string }> {
  if (url === undefined || IMAGE === undefined) return { reason: `AGENTCTL_TEST_${name.toUpperCase()}_HOST or AGENTCTL_TEST_IMAGE is not set; ${SETUP}` };
  const runtime = await DockerodeRuntime.create(name, { url, connection: parseEngineUrl(url), tried: [url] });
  const availability = await runtime.probe();
  if (!availability.ok) return { reason: `${name} is not answering: ${availability.detail}; ${SETUP}` };
  if (!(await runtime.hasImage(IMAGE))) return { reason: `${IMAGE} is missing from ${name}; ${SETUP}` };
  return { runtime };
}

// Probed once at load so each engine's suite can be skipped (locally) or failed (CI) by name.
const engines = [
  { name: 'docker' as const, ...(await connect('docker', process.env.AGENTCTL_TEST_DOCKER_HOST)) },
  { name: 'podman' as const, ...(await connect('podman', process.env.AGENTCTL_TEST_PODMAN_HOST)) },
];

async function thrownAsync(promise: Promise<unknown>): Promise<AgentctlError> {
  const caught = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught, 'expected the call to reject').toBeInstanceOf(AgentctlError);
  return caught as AgentctlError;
}

describe.each(engines)('DockerodeRuntime on $name', ({ name, runtime: maybeRuntime, reason }) => {
  if (maybeRuntime === undefined) {
    if (process.env.CI === 'true') it(`needs a running ${name} engine`, () => expect.fail(reason));
    else it.skip(`${name}: ${reason}`, () => undefined);
    return;
  }
  const runtime = maybeRuntime;
  const image = IMAGE!;
  const dirs: string[] = [];

  function workspace(): string {
    const dir = mkdtempSync(join(tmpdir(), `agentctl-${name}-ws-`));
    dirs.push(dir);
    // The container runs as uid 1000; the temp dirs belong to whoever runs the tests.
    chmodSync(dir, 0o777);
    for (const part of ['repo', 'outbox', 'inbox', '.meta']) {
      mkdirSync(join(dir, part));
      chmodSync(join(dir, part), 0o777);
    }
    return dir;
  }

  /** The workspace a spec's mounts come from. */
  function rootOf(run: ContainerSpec): string {
    return dirname(run.mounts[0]?.hostPath ?? '');
  }

  function spec(testCase: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
    return {
      image,
      name: `agentctl-test-${RUN}-${name}-${testCase}`,
      labels: { [RUN_LABEL]: RUN, [`${LABEL_PREFIX}.case`]: testCase },
      mounts: agentMounts(workspace()),
      configMounts: [],
      hardening: buildHardening({ home: AGENT_HOME }),
      workdir: AGENT_WORKDIR,
      env: [],
      user: '1000:1000',
      gpu: false,
      extraHosts: [],
      argv: ['true'],
      stdin: false,
      autoRemove: false,
      ...overrides,
    };
  }

  afterAll(async () => {
    for (const container of await runtime.list({ [RUN_LABEL]: RUN })) {
      await runtime.stop(container.id, 0);
      await runtime.remove(container.id);
    }
    expect(await runtime.list({ [RUN_LABEL]: RUN })).toEqual([]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('probes the engine and reports its version', async () => {
    const availability = await runtime.probe();
    expect(availability.ok).toBe(true);
    expect(availability.runtime).toBe(name);
    expect(availability.detail).toMatch(name === 'docker' ? /^Docker Engine \d+\.\d+\.\d+/ : /^Podman Engine \d+\.\d+\.\d+$/);
  });

  it('reports an engine that is not there without throwing, naming where it looked', async () => {
    const url = `unix:///tmp/agentctl-no-such-${name}.sock`;
    const absent = await DockerodeRuntime.create(name, { url, connection: parseEngineUrl(url), tried: [url] });
    const started = performance.now();
    const availability = await absent.probe();
    expect(performance.now() - started).toBeLessThan(2500);
    expect(availability.ok).toBe(false);
    expect(availability.endpoint).toBe(url);
    expect(availability.detail).toContain('ENOENT');
    expect(availability.detail).toContain(`(tried: ${url})`);
  });

  it('knows which images exist', async () => {
    expect(await runtime.hasImage(image)).toBe(true);
    expect(await runtime.hasImage('localhost/agentctl-no-such-image:never')).toBe(false);
  });

  describe('a container that exits 3', () => {
    const secret = `s3cret-${RUN}`;
    let run: ContainerSpec;
    let id: string;
    let config: string;

    beforeAll(async () => {
      config = workspace();
      writeFileSync(join(config, 'settings.json'), '{"from":"host"}');
      run = spec('exit3', {
        configMounts: [{ hostPath: config, containerPath: '/home/agent/.agentconf' }],
        env: [{ name: 'SECRET_NAME' }, { name: 'AGENTCTL_TEST_UNSET' }, { name: 'FIXED', value: 'fixed value' }],
        argv: [
          'sh',
          '-c',
          [
            'printf %s "$SECRET_NAME" > secret.txt',
            'printf %s "$FIXED" > fixed.txt',
            'echo "${AGENTCTL_TEST_UNSET-unset}" > unset.txt',
            'id -u > uid.txt; id -g > gid.txt; pwd > pwd.txt',
            'cat /home/agent/.agentconf/settings.json > config.txt',
            '(touch /home/agent/.agentconf/new 2>/dev/null && echo writable || echo read-only) > config-mode.txt',
            '(touch /workspace/inbox/new 2>/dev/null && echo writable || echo read-only) > inbox-mode.txt',
            'echo outbox > /workspace/outbox/note.txt',
            'ls -a /workspace > mounted.txt',
            'exit 3',
          ].join('; '),
        ],
      });
      ({ id } = await runtime.start(run, { SECRET_NAME: secret, PATH: '/bin' }));
    });

    it('returns the exit code from wait', async () => {
      expect(await runtime.wait(id)).toEqual({ exitCode: 3 });
    });

    it('ran as the given user in the workdir, with the workspace and config mounted', () => {
      const repo = join(rootOf(run), 'repo');
      const read = (file: string) => readFileSync(join(repo, file), 'utf8');
      expect(read('uid.txt')).toBe('1000\n');
      expect(read('gid.txt')).toBe('1000\n');
      expect(read('pwd.txt')).toBe(`${AGENT_WORKDIR}\n`);
      expect(read('fixed.txt')).toBe('fixed value');
      expect(read('config.txt')).toBe('{"from":"host"}');
      expect(read('config-mode.txt')).toBe('read-only\n');
    });

    it('saw repo/ and outbox/ writable, the inbox read-only, and never agentctl\'s own state', () => {
      const read = (file: string) => readFileSync(join(rootOf(run), 'repo', file), 'utf8');
      expect(read('inbox-mode.txt')).toBe('read-only\n');
      expect(readFileSync(join(rootOf(run), 'outbox', 'note.txt'), 'utf8')).toBe('outbox\n');
      expect(read('mounted.txt').split('\n').filter((entry) => entry !== '' && entry !== '.' && entry !== '..').sort()).toEqual(['inbox', 'outbox', 'repo']);
    });

    it('passed the secret from the env argument only', () => {
      expect(readFileSync(join(rootOf(run), 'repo', 'secret.txt'), 'utf8')).toBe(secret);
      expect(readFileSync(join(rootOf(run), 'repo', 'unset.txt'), 'utf8')).toBe('unset\n');
      expect(JSON.stringify(run)).not.toContain(secret);
      expect(renderRunArgv(name, run).join(' ')).not.toContain(secret);
    });

    it('inspects as exited with code 3 and its labels', async () => {
      const state = await runtime.inspect(id);
      expect(state).toMatchObject({ id, running: false, exitCode: 3, killed: false, labels: run.labels });
      // The engine stamps start and finish from different processes: an instant exit can be stamped a few ms "before" its start.
      expect(Date.parse(state!.startedAt!)).toBeLessThanOrEqual(Date.parse(state!.finishedAt!) + 1000);
    });

    it('is found by its labels', async () => {
      const found = await runtime.list({ [RUN_LABEL]: RUN, [`${LABEL_PREFIX}.case`]: 'exit3' });
      expect(found.map((state) => state.id)).toEqual([id]);
      expect(found[0]).toMatchObject({ running: false, exitCode: 3 });
      expect(await runtime.list({ [RUN_LABEL]: RUN, [`${LABEL_PREFIX}.case`]: 'nothing-has-this' })).toEqual([]);
    });

    it('is gone after remove, and remove is idempotent', async () => {
      await runtime.remove(id);
      expect(await runtime.inspect(id)).toBeUndefined();
      await runtime.remove(id);
    });
  });

  it('starts and waits for a trivial container quickly', async () => {
    const started = performance.now();
    const { id } = await runtime.start(spec('trivial'), {});
    const { exitCode } = await runtime.wait(id);
    const ms = Math.round(performance.now() - started);
    console.info(`${name}: start -> wait for \`true\` took ${ms} ms`);
    expect(exitCode).toBe(0);
    expect((await runtime.inspect(id))?.exitCode).toBe(0);
    await runtime.remove(id);
  });

  it.runIf(name === 'docker')('hears a container die, by its id or its labels, long before the wait would end', async () => {
    const { id } = await runtime.start(spec('dies', { argv: ['sleep', '1'] }), {});
    // Without the engine's news these would wait ten minutes, well past the test's timeout.
    await Promise.all([runtime.died!({ id }, 600_000), runtime.died!({ labels: { [RUN_LABEL]: RUN, [`${LABEL_PREFIX}.case`]: 'dies' } }, 600_000)]);
    expect((await runtime.inspect(id))?.running).toBe(false);
    await runtime.remove(id);
  });

  it.runIf(name === 'docker')('does not end a wait for the death of another container, or of one long dead', async () => {
    const { id: other } = await runtime.start(spec('dies-elsewhere', { argv: ['sleep', '0.3'] }), {});
    const { id: watched } = await runtime.start(spec('lives-on', { argv: ['sleep', '60'] }), {});
    await runtime.wait(other);
    // The other one died within the replay window: it must not count either way for this one.
    const started = performance.now();
    await runtime.died!({ id: watched }, 1500);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1490);
    const later = performance.now();
    await runtime.died!({ id: other }, 1500);
    expect(performance.now() - later, 'a death seconds ago is no news').toBeGreaterThanOrEqual(1490);
    await runtime.stop(watched, 0);
    await Promise.all([runtime.remove(other), runtime.remove(watched)]);
  });

  it('stops a container that ignores SIGTERM within the grace period', async () => {
    // sleep as PID 1 ignores SIGTERM, so the engine must fall back to SIGKILL.
    const { id } = await runtime.start(spec('stop', { argv: ['sleep', '60'] }), {});
    const running = await runtime.inspect(id);
    expect(running).toMatchObject({ running: true, exitCode: undefined, finishedAt: undefined });
    expect(running?.startedAt).toBeDefined();
    const started = performance.now();
    await runtime.stop(id, 1);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await runtime.inspect(id)).toMatchObject({ running: false, exitCode: 137 });
    await runtime.stop(id, 1);
    await runtime.remove(id);
    await runtime.stop(id, 1);
  });

  describe('an agent under its wrapper, auto-removed', () => {
    const files = { log: `${CONTAINER_PATHS.outbox}/agent.log`, stdin: undefined, exitCode: `${CONTAINER_PATHS.outbox}/exit-code` };

    function wrapped(testCase: string, agent: string): ContainerSpec {
      const run = spec(testCase, { autoRemove: true, argv: wrapContainerArgv(['sh', '-c', agent], files) });
      return run;
    }

    async function gone(id: string): Promise<void> {
      const deadline = Date.now() + 20_000;
      while ((await runtime.inspect(id)) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await runtime.inspect(id), 'the engine should have removed the container').toBeUndefined();
    }

    it('is removed by the engine once it exits, and its exit code stays behind in the workspace', async () => {
      const run = wrapped('autoremove', 'echo working; exit 3');
      const { id } = await runtime.start(run, {});
      await gone(id);
      expect(readFileSync(join(rootOf(run), 'outbox', 'exit-code'), 'utf8')).toBe('3\n');
      expect(readFileSync(join(rootOf(run), 'outbox', 'agent.log'), 'utf8')).toBe('working\n');
    });

    it('gets the engine stop (SIGTERM to PID 1) passed on, well within the grace period', async () => {
      const run = wrapped('autoremove-stop', 'echo up; exec sleep 300');
      const { id } = await runtime.start(run, {});
      const log = join(rootOf(run), 'outbox', 'agent.log');
      const deadline = Date.now() + 20_000;
      while (!(existsSync(log) && readFileSync(log, 'utf8') === 'up\n') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await runtime.stop(id, 30);
      await gone(id);
      // 143: the agent died of the SIGTERM; without the hand-over the engine would have waited 30 s and killed everything.
      expect(readFileSync(join(rootOf(run), 'outbox', 'exit-code'), 'utf8')).toBe('143\n');
    });
  });

  it('names the host gateway the way the engine supports', async () => {
    const run = spec('gateway', { extraHosts: hostGateway(name, 'bridge')!.extraHosts, argv: ['sh', '-c', 'cat /etc/hosts > hosts.txt'] });
    const { id } = await runtime.start(run, {});
    expect(await runtime.wait(id)).toEqual({ exitCode: 0 });
    const hosts = readFileSync(join(rootOf(run), 'repo', 'hosts.txt'), 'utf8');
    if (name === 'docker') expect(hosts).toMatch(/^\d+\.\d+\.\d+\.\d+\s+host\.docker\.internal$/m);
    else expect(hosts).toMatch(/^\d+\.\d+\.\d+\.\d+\s+host\.containers\.internal$/m);
    expect(hosts).not.toContain('host-gateway');
    await runtime.remove(id);
  });

  it('asks for GPUs and, with no GPU here, says what to install instead of blaming the engine', async () => {
    const run = spec('gpu', { gpu: true });
    const error = await thrownAsync(runtime.start(run, {}));
    expect(error.code).toBe('gpu_unavailable');
    expect(error.exitCode).toBe(ExitCode.environment);
    // Docker has no NVIDIA runtime; Podman was asked for the CDI device (never Docker's request, which it ignores) and has no spec for it.
    expect(error.message).toMatch(name === 'docker' ? /could not select device driver/ : /unresolvable CDI devices nvidia\.com\/gpu=all/);
    expect(error.hint).toMatch(name === 'docker' ? /nvidia-ctk runtime configure --runtime=docker/ : /nvidia-ctk cdi generate --output=\/etc\/cdi\/nvidia\.yaml/);
    expect(error.hint).not.toMatch(/engine is running/);
    // The half-made container is not left behind to look like a run.
    expect(await runtime.list({ [RUN_LABEL]: RUN, [`${LABEL_PREFIX}.case`]: 'gpu' })).toEqual([]);
  });

  if (name === 'podman') {
    it('Podman\'s own API, which takes the CDI device, gets the same walls as the compatible one', async () => {
      // The libpod body without the device: everything else a GPU run gets, started for real.
      const { default: Docker } = await import('dockerode');
      const docker = new Docker({ socketPath: process.env.AGENTCTL_TEST_PODMAN_HOST!.replace(/^unix:\/\//, '') });
      const run = spec('libpod', {
        env: [{ name: 'FOO', value: 'bar' }],
        argv: ['sh', '-c', 'id -u > out.txt; touch /x 2>> out.txt; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status >> out.txt; echo $FOO >> out.txt; touch /home/agent/ok && echo home-ok >> out.txt'],
      });
      const created = await new Promise<{ Id: string }>((resolve, reject) =>
        docker.modem.dial(
          { path: LIBPOD_CREATE_PATH, method: 'POST', options: libpodCreateBody(run, ['FOO=bar']), statusCodes: { 201: true, 500: 'server error' } },
          (error: unknown, result: unknown) => (error ? reject(error) : resolve(result as { Id: string })),
        ),
      );
      await docker.getContainer(created.Id).start();
      expect(await runtime.wait(created.Id)).toEqual({ exitCode: 0 });
      expect(readFileSync(join(rootOf(run), 'repo', 'out.txt'), 'utf8')).toBe('1000\ntouch: /x: Read-only file system\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\nbar\nhome-ok\n');
      const host = (await docker.getContainer(created.Id).inspect()).HostConfig;
      expect({ pids: host.PidsLimit, memory: host.Memory, cpus: host.NanoCpus, readOnly: host.ReadonlyRootfs, network: host.NetworkMode }).toEqual({
        pids: 2048,
        memory: 4 * 1024 ** 3,
        cpus: 2e9,
        readOnly: true,
        network: 'bridge',
      });
      expect(await runtime.list({ [RUN_LABEL]: RUN, [`${LABEL_PREFIX}.case`]: 'libpod' })).toHaveLength(1);
      await runtime.remove(created.Id);
    });
  }

  it('explains a missing image', async () => {
    const run = spec('noimage', { image: 'localhost/agentctl-no-such-image:never' });
    const error = await thrownAsync(runtime.start(run, {}));
    expect(error.code).toBe('engine_error');
    expect(error.hint).toBe(`Build or load localhost/agentctl-no-such-image:never into ${name} first.`);
  });

  it('refuses a spec that wants stdin', async () => {
    const error = await thrownAsync(runtime.start(spec('stdin', { stdin: true }), {}));
    expect(error.code).toBe('engine_stdin');
  });

  it('treats an unknown container as gone', async () => {
    expect(await runtime.inspect('agentctl-no-such-container')).toBeUndefined();
    await runtime.stop('agentctl-no-such-container', 1);
    await runtime.remove('agentctl-no-such-container');
    const error = await thrownAsync(runtime.wait('agentctl-no-such-container'));
    expect(error.code).toBe('engine_error');
    expect(error.cause).toBeDefined();
  });
});

describe('DockerodeRuntime.probe against an endpoint that never answers', () => {
  it('gives up after about 10 s and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentctl-hang-'));
    const socketPath = join(dir, 'engine.sock');
    const connections: Socket[] = [];
    const server = createServer((connection) => connections.push(connection));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const url = `unix://${socketPath}`;
      const runtime = await DockerodeRuntime.create('docker', { url, connection: parseEngineUrl(url), tried: [url] });
      const started = performance.now();
      const availability = await runtime.probe();
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(9900);
      expect(availability).toEqual({ runtime: 'docker', ok: false, endpoint: url, location: 'local', detail: `no answer within 10 s (tried: ${url})` });
    } finally {
      for (const connection of connections) connection.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('DockerodeRuntime against an engine that answers as Podman does while it removes a container', () => {
  it.each([
    ['404, no container with that name', 404, { cause: 'no such container', message: 'no container with name or ID "abc" found: no such container', response: 404 }],
    ['500, no longer in its database', 500, { cause: 'no such container', message: 'container abc does not exist in database', response: 500 }],
  ])('treats %s as gone', async (_name, status, body) => {
    const dir = mkdtempSync(join(tmpdir(), 'agentctl-gone-'));
    const socketPath = join(dir, 'engine.sock');
    const server = createHttpServer((request, response) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const url = `unix://${socketPath}`;
      const runtime = await DockerodeRuntime.create('podman', { url, connection: parseEngineUrl(url), tried: [url] });
      expect(await runtime.inspect('abc')).toBeUndefined();
      await runtime.stop('abc', 1);
      await runtime.remove('abc');
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
