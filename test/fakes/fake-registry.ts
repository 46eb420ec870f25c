import type { RuntimeName } from '../../src/core/container/container-spec.js';
import type { RuntimeRegistry } from '../../src/runtime/registry.js';
import { FakeHostRunner } from './fake-host-runner.js';
import type { FakeRuntime } from './fake-runtime.js';

export interface FakeRegistry extends RuntimeRegistry {
  host: FakeHostRunner;
  /** How often probeAll was called. */
  probes: number;
}

/**
 * A RuntimeRegistry over FakeRuntimes: `get` hands out the named one (and
 * throws for any other), `probeAll` reports each one's availability in the
 * order given.
 */
export function fakeRegistry(runtimes: FakeRuntime[], host = new FakeHostRunner()): FakeRegistry {
  const byName = new Map<RuntimeName, FakeRuntime>(runtimes.map((runtime) => [runtime.name, runtime]));
  const registry: FakeRegistry = {
    host,
    probes: 0,
    async get(name) {
      const runtime = byName.get(name);
      if (runtime === undefined) throw new Error(`fakeRegistry: no runtime ${name}`);
      return runtime;
    },
    async probeAll() {
      registry.probes += 1;
      return Promise.all(runtimes.map((runtime) => runtime.probe()));
    },
  };
  return registry;
}
