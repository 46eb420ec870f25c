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

  it('says per node whether it reaches agentctl at the callback address, with the fix naming runtime.swarm.callback_address', () => {
    const checks = swarmChecks(
      facts({
        callback: { address: '127.0.0.1', listens: true },
        reach: [
          { hostname: 'n1', reached: true },
          { hostname: 'n2', reached: false, cause: 'network', detail: 'could not connect' },
          { hostname: 'n3', reached: false, cause: 'task', detail: 'its probe task rejected: No such image: x:1' },
        ],
      }),
    ).slice(2);
    expect(checks).toEqual([
      { id: 'swarm.reach.n1', status: 'ok', message: 'swarm node n1 reaches agentctl at 127.0.0.1', fix: null },
      { id: 'swarm.reach.n2', status: 'fail', message: 'swarm node n2 cannot reach agentctl at 127.0.0.1: could not connect', fix: expect.stringContaining('runtime.swarm.callback_address') },
      { id: 'swarm.reach.n3', status: 'warn', message: 'could not tell whether swarm node n3 reaches agentctl at 127.0.0.1: its probe task rejected: No such image: x:1', fix: expect.stringContaining('make the agent image present on n3') },
    ]);
  });

  it('warns when the probe itself could not run, and shows what the manager said as one clean line', () => {
    const [check] = swarmChecks(facts({ reach: { error: 'secret create failed\u001b[2J\nagain' } })).slice(2);
    expect(check).toMatchObject({ id: 'swarm.reach', status: 'warn', message: 'could not probe whether the swarm nodes reach agentctl at 10.0.0.5: secret create failedagain' });
    const [node] = swarmChecks(facts({ reach: [{ hostname: 'evil\u001b]0;title\u0007', reached: false, detail: 'x\u009b31m' }] })).slice(2);
    expect(node?.id).toBe('swarm.reach.evil');
    expect(node?.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
