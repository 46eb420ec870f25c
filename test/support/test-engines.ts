import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, it } from 'vitest';
import { DockerodeRuntime } from '../../src/runtime/dockerode-runtime.js';
import { parseEngineUrl, type EngineName } from '../../src/runtime/engine-endpoint.js';

export const TEST_IMAGE = process.env.AGENTCTL_TEST_IMAGE ?? 'localhost/agentctl-test:latest';
const SETUP = 'run `bash test/support/engines.sh all`';

export interface TestEngine {
  /** The runtime agentctl is told to use (`--runtime`). */
  name: EngineName;
  /** What a test title calls it: the runtime, or "docker over SSH". */
  label: string;
  /** The variable agentctl reads to find this engine. */
  hostVar: 'DOCKER_HOST' | 'CONTAINER_HOST';
  /** What agentctl is given (an ssh:// URL for the remote engine). */
  url: string;
  /** Where the engine itself answers on this machine, for a test's own `docker -H` look at it. */
  engineUrl: string;
  /** Lines under `runtime:` in agentctl's config this engine needs (the SSH key and known_hosts). */
  runtimeYaml: string;
  /** Which of the engines a suite runs on (0, 1, 2), for tests that need numbers of their own per engine. */
  slot: number;
  /** The engine, reached directly (never over SSH), for a test's own checks. */
  runtime: DockerodeRuntime | undefined;
  reason: string | undefined;
}

async function connect(name: EngineName, url: string | undefined): Promise<TestEngine> {
  const hostVar = name === 'docker' ? 'DOCKER_HOST' : 'CONTAINER_HOST';
  const base = { name, label: name, hostVar, url: url ?? '', engineUrl: url ?? '', runtimeYaml: '', slot: name === 'docker' ? 0 : 1 } as const;
  if (url === undefined) return { ...base, runtime: undefined, reason: `AGENTCTL_TEST_${name.toUpperCase()}_HOST is not set; ${SETUP}` };
  const runtime = await DockerodeRuntime.create(name, { url, connection: parseEngineUrl(url), tried: [url] });
  const availability = await runtime.probe();
  if (!availability.ok) return { ...base, runtime: undefined, reason: `${name} is not answering at ${url}: ${availability.detail}; ${SETUP}` };
  if (!(await runtime.hasImage(TEST_IMAGE))) return { ...base, runtime: undefined, reason: `${TEST_IMAGE} is missing from ${name}; ${SETUP}` };
  return { ...base, runtime, reason: undefined };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The Docker test engine as a remote engine: a real OpenSSH server on
 * 127.0.0.1 in front of it (test/support/sshd.sh, keys and known_hosts of
 * its own), stopped when the file's tests are done. agentctl gets the
 * ssh:// URL, so it copies the workspace in and out instead of mounting it.
 */
async function sshEngine(docker: TestEngine): Promise<TestEngine> {
  const base = { ...docker, label: 'docker over SSH', slot: 2 };
  if (docker.runtime === undefined) return base;
  if (!existsSync('/usr/sbin/sshd')) return { ...base, runtime: undefined, reason: 'no /usr/sbin/sshd: run `bash test/support/sshd.sh install`' };
  const dir = mkdtempSync(join(tmpdir(), 'agentctl-test-sshd-'));
  const port = await freePort();
  execFileSync('bash', ['test/support/sshd.sh', 'start', dir, String(port)], { env: { ...process.env, AGENTCTL_SSH_DOCKER_SOCK: docker.url.replace(/^unix:\/\//, '') } });
  afterAll(() => {
    execFileSync('bash', ['test/support/sshd.sh', 'stop', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...base, url: `ssh://root@127.0.0.1:${port}`, runtimeYaml: `  ssh:\n    identity: ${join(dir, 'id')}\n    known_hosts: ${join(dir, 'known_hosts')}\n` };
}

/** Both real engines, probed once; with `ssh`, the Docker one over SSH too (a remote engine). */
export async function testEngines(options: { ssh?: boolean } = {}): Promise<TestEngine[]> {
  const docker = await connect('docker', process.env.AGENTCTL_TEST_DOCKER_HOST);
  const engines = [docker, await connect('podman', process.env.AGENTCTL_TEST_PODMAN_HOST)];
  return options.ssh === true ? [...engines, await sshEngine(docker)] : engines;
}

/**
 * For a suite whose engine is missing: in CI that is a failure, locally a
 * skip that says how to get the engine. Returns true when the suite can run.
 */
export function requireEngine(engine: TestEngine): engine is TestEngine & { runtime: DockerodeRuntime } {
  if (engine.runtime !== undefined) return true;
  if (process.env.CI === 'true') it(`needs a running ${engine.label} engine`, () => {
    throw new Error(engine.reason);
  });
  else it.skip(`${engine.label}: ${engine.reason}`, () => undefined);
  return false;
}
