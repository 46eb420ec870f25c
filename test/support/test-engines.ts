import { it } from 'vitest';
import { DockerodeRuntime } from '../../src/runtime/dockerode-runtime.js';
import { parseEngineUrl, type EngineName } from '../../src/runtime/engine-endpoint.js';

export const TEST_IMAGE = process.env.AGENTCTL_TEST_IMAGE ?? 'localhost/agentctl-test:latest';
const SETUP = 'run `bash test/support/engines.sh all`';

export interface TestEngine {
  name: EngineName;
  /** The variable agentctl reads to find this engine. */
  hostVar: 'DOCKER_HOST' | 'CONTAINER_HOST';
  url: string;
  runtime: DockerodeRuntime | undefined;
  reason: string | undefined;
}

async function connect(name: EngineName, url: string | undefined): Promise<TestEngine> {
  const hostVar = name === 'docker' ? 'DOCKER_HOST' : 'CONTAINER_HOST';
  if (url === undefined) return { name, hostVar, url: '', runtime: undefined, reason: `AGENTCTL_TEST_${name.toUpperCase()}_HOST is not set; ${SETUP}` };
  const runtime = await DockerodeRuntime.create(name, { url, connection: parseEngineUrl(url), tried: [url] });
  const availability = await runtime.probe();
  if (!availability.ok) return { name, hostVar, url, runtime: undefined, reason: `${name} is not answering at ${url}: ${availability.detail}; ${SETUP}` };
  if (!(await runtime.hasImage(TEST_IMAGE))) return { name, hostVar, url, runtime: undefined, reason: `${TEST_IMAGE} is missing from ${name}; ${SETUP}` };
  return { name, hostVar, url, runtime, reason: undefined };
}

/** Both real engines, probed once. */
export async function testEngines(): Promise<TestEngine[]> {
  return [await connect('docker', process.env.AGENTCTL_TEST_DOCKER_HOST), await connect('podman', process.env.AGENTCTL_TEST_PODMAN_HOST)];
}

/**
 * For a suite whose engine is missing: in CI that is a failure, locally a
 * skip that says how to get the engine. Returns true when the suite can run.
 */
export function requireEngine(engine: TestEngine): engine is TestEngine & { runtime: DockerodeRuntime } {
  if (engine.runtime !== undefined) return true;
  if (process.env.CI === 'true') it(`needs a running ${engine.name} engine`, () => {
    throw new Error(engine.reason);
  });
  else it.skip(`${engine.name}: ${engine.reason}`, () => undefined);
  return false;
}
