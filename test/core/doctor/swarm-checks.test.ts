import { describe, expect, it } from 'vitest';
import { swarmChecks, type SwarmFacts } from '../../../src/core/doctor/swarm-checks.js';

const node = { id: 'id1', hostname: 'n1', role: 'worker', state: 'ready', availability: 'active', cpus: 8, memoryBytes: 16 * 1024 ** 3, reservedCpus: 2, reservedMemoryBytes: 4 * 1024 ** 3 };
const facts = (overrides: Partial<SwarmFacts>): SwarmFacts => ({ endpoint: 'ssh://ops@manager', nodes: [node], callback: { address: '10.0.0.5', listens: true }, ...overrides });

describe('swarmChecks', () => {
  it('says nothing when no swarm is configured', () => {
    expect(swarmChecks(undefined)).toEqual([]);
  });

  it('lists each node with what is free to reserve, and the transfer address', () => {
    expect(swarmChecks(facts({}))).toEqual([
      { id: 'swarm.node.n1', status: 'ok', message: 'swarm node n1 (worker, ready, active): 6 of 8 CPUs, 12 of 16 GiB free to reserve', fix: null },
      { id: 'swarm.callback', status: 'ok', message: expect.stringContaining('from 10.0.0.5'), fix: null },
    ]);
  });

  it('warns of a drained or down node, fails when the nodes cannot be listed or the address cannot be served', () => {
    const checks = swarmChecks(facts({ nodes: [{ ...node, availability: 'drain' }], callback: { address: '10.9.9.9', listens: false, error: 'EADDRNOTAVAIL' } }));
    expect(checks.map((c) => c.status)).toEqual(['warn', 'fail']);
    expect(checks[1]?.message).toContain('EADDRNOTAVAIL');
    expect(swarmChecks(facts({ nodes: { error: 'This node is not a swarm manager.' } }))[0]).toMatchObject({ id: 'swarm.nodes', status: 'fail' });
  });
});
