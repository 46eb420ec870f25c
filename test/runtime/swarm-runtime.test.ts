/**
 * The Swarm runtime against the test Docker engine as a single-node swarm
 * manager (`bash test/support/engines.sh swarm`): what the manager's own
 * engine is asked must not depend on this machine's clock agreeing with it.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseEngineUrl } from '../../src/runtime/engine-endpoint.js';
import { SwarmRuntime } from '../../src/runtime/swarm-runtime.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const docker = (await testEngines()).find((engine) => engine.name === 'docker');
const NAME = `agentctl-swarm-runtime-${process.pid}`;

describe('the Swarm runtime', () => {
  if (docker === undefined || !requireEngine(docker)) return;
  const cli = (args: string[]) => execFileSync('docker', ['-H', docker.url, ...args], { encoding: 'utf8' });
  let serviceId: string;
  beforeAll(() => {
    execFileSync('bash', ['test/support/engines.sh', 'swarm'], { stdio: 'ignore' });
    serviceId = cli(['service', 'create', '-d', '-q', '--name', NAME, '--mode', 'replicated-job', '--restart-condition', 'none', TEST_IMAGE, 'sleep', '60']).trim();
  });
  afterAll(() => {
    cli(['service', 'rm', serviceId]);
    // Swarm leaves a removed job's task container: this test's own.
    const left = cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${serviceId}`]).trim().split('\n').filter(Boolean);
    if (left.length > 0) cli(['rm', '-f', ...left]);
  });

  it("looks at a running task on the manager at once when this machine's clock is ahead of the engine's", async () => {
    const until = performance.now() + 30_000;
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 8000, shouldAdvanceTime: true });
    try {
      const runtime = await SwarmRuntime.create({ url: docker.url, source: 'config', connection: parseEngineUrl(docker.url), tried: [docker.url] }, {}, {});
      while ((await runtime.swarm.task(serviceId))?.state !== 'running' && performance.now() < until) await new Promise((r) => setTimeout(r, 200));
      const started = performance.now();
      const task = await runtime.swarm.task(serviceId);
      expect(task).toMatchObject({ state: 'running', containerExit: undefined });
      expect(performance.now() - started).toBeLessThan(500);
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);
});
