import { describe, expect, it } from 'vitest';
import { expectedNodes, probeSettled, reachProbeSpec, reachResults, REACH_PROBE_SCRIPT, type ReachTaskView } from '../../../src/core/container/reach-probe.js';

const task = (nodeId: string, state: string, exitCode?: number, error?: string): ReachTaskView => ({ nodeId, state, exitCode, error });

describe('reachProbeSpec', () => {
  const spec = reachProbeSpec({
    name: 'agentctl-reach-1a2b3c4d',
    image: 'localhost/agentctl-agent:latest',
    labels: { 'dev.agentctl.role': 'reach-probe', 'dev.agentctl.home': 'f'.repeat(32) },
    callbackUrl: 'http://10.0.0.5:41234',
    secret: { id: 'sec1', name: 'agentctl-reach-1a2b3c4d' },
  });

  it('is one global job, never restarted, hardened, labelled as agentctl\'s, with no mount', () => {
    expect(spec.Mode).toEqual({ GlobalJob: {} });
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none', MaxAttempts: 0 });
    expect(spec.TaskTemplate.ContainerSpec).toMatchObject({ ReadOnly: true, CapabilityDrop: ['ALL'], User: '65534:65534', Image: 'localhost/agentctl-agent:latest' });
    expect(spec.TaskTemplate.ContainerSpec).not.toHaveProperty('Mounts');
    expect(spec.Labels['dev.agentctl.role']).toBe('reach-probe');
    expect(spec.TaskTemplate.ContainerSpec.Labels).toEqual(spec.Labels);
    expect(spec.TaskTemplate.Resources.Limits).toEqual({ NanoCPUs: 500_000_000, MemoryBytes: 128 * 1024 ** 2, Pids: 32 });
  });

  it('tells the task where to call and which node it is (Swarm templates), and gives the token only as a secret file', () => {
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(['AGENTCTL_CALLBACK=http://10.0.0.5:41234', 'AGENTCTL_NODE={{.Node.ID}}', 'AGENTCTL_NODE_HOSTNAME={{.Node.Hostname}}']);
    expect(spec.TaskTemplate.ContainerSpec.Secrets).toEqual([{ SecretID: 'sec1', SecretName: 'agentctl-reach-1a2b3c4d', File: { Name: 'agentctl-reach', UID: '65534', GID: '65534', Mode: 0o400 } }]);
    expect(spec.TaskTemplate.ContainerSpec.Command).toEqual(['node', '-e', REACH_PROBE_SCRIPT]);
    expect(REACH_PROBE_SCRIPT).toContain("'/run/secrets/agentctl-reach'");
  });
});

describe('the reach probe\'s answer', () => {
  it('waits for the ready, active nodes only', () => {
    const nodes = [
      { id: 'a', state: 'ready', availability: 'active' },
      { id: 'b', state: 'ready', availability: 'drain' },
      { id: 'c', state: 'down', availability: 'active' },
      { id: 'd', state: 'ready', availability: 'pause' },
    ];
    expect(expectedNodes(nodes)).toEqual(['a']);
  });

  it.each([
    { name: 'nobody has called in yet', reached: [], tasks: [task('a', 'running'), task('b', 'complete', 0)], settled: false },
    { name: 'one reached, the other\'s task failed', reached: ['a'], tasks: [task('a', 'complete', 0), task('b', 'failed', 2)], settled: true },
    { name: 'a task still being placed', reached: ['a'], tasks: [task('a', 'complete', 0), task('b', 'preparing')], settled: false },
    { name: 'a node with no task yet', reached: ['a'], tasks: [task('a', 'complete', 0)], settled: false },
    { name: 'both reached', reached: ['a', 'b'], tasks: [], settled: true },
    { name: 'an image the node lacks', reached: ['a'], tasks: [task('b', 'rejected', undefined, 'No such image')], settled: true },
  ])('settled when $name: $settled', ({ reached, tasks, settled }) => {
    expect(probeSettled(['a', 'b'], new Set(reached), tasks)).toBe(settled);
  });

  it.each([
    { tasks: [task('a', 'complete', 0)], reached: ['a'], want: { node: 'a', reached: true } },
    { tasks: [task('a', 'failed', 2, 'task: non-zero exit (2)')], reached: [], want: { node: 'a', reached: false, cause: 'network', detail: 'could not connect' } },
    { tasks: [task('a', 'failed', 3)], reached: [], want: { node: 'a', reached: false, cause: 'network', detail: 'timed out connecting' } },
    { tasks: [task('a', 'failed', 1)], reached: [], want: { node: 'a', reached: false, cause: 'network', detail: 'agentctl answered but refused the probe' } },
    { tasks: [task('a', 'rejected', undefined, 'No such image: x:1')], reached: [], want: { node: 'a', reached: false, cause: 'task', detail: 'its probe task rejected: No such image: x:1' } },
    { tasks: [task('a', 'failed', 137, 'task: non-zero exit (137)')], reached: [], want: { node: 'a', reached: false, cause: 'task', detail: 'its probe task failed: task: non-zero exit (137)' } },
    { tasks: [task('a', 'preparing')], reached: [], want: { node: 'a', reached: false, cause: 'task', detail: 'its probe task was still preparing when doctor stopped waiting' } },
    { tasks: [], reached: [], want: { node: 'a', reached: false, cause: 'task', detail: 'no probe task was placed on it in time' } },
    // A task that exited 0 without being recorded cannot be: only the listener's record counts.
    { tasks: [task('a', 'complete', 0)], reached: [], want: { node: 'a', reached: false, cause: 'task', detail: 'its probe task complete' } },
  ])('node a: $want.detail', ({ tasks, reached, want }) => {
    expect(reachResults(['a'], new Set(reached), tasks)).toEqual([want]);
  });
});
