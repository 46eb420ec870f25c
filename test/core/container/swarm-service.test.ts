import { describe, expect, it } from 'vitest';
import { buildContainerSpec, renderRunArgv } from '../../../src/core/container/container-spec.js';
import { mergePlacement, observeTask, secretPayload, swarmServiceSpec, type SwarmTaskView, type TaskObservation } from '../../../src/core/container/swarm-service.js';

const WS = '/home/me/.agentctl/workspace/acme/web/task-42';

function spec(overrides: { gpu?: boolean } = {}) {
  return buildContainerSpec({
    image: 'localhost/agentctl-agent:latest',
    runId: 'acme-web-task-42',
    workspaceRoot: WS,
    labels: { 'dev.agentctl.workspace': WS, 'dev.agentctl.run': '1' },
    configDirs: [{ hostPath: '/home/me/.codex', name: '.codex', files: ['auth.json'] }],
    envNames: ['OPENAI_API_KEY'],
    gitIdentity: { name: 'agentctl', email: 'agentctl@localhost' },
    hostUser: { uid: 0, gid: 0 },
    gpu: overrides.gpu ?? false,
    runtime: 'swarm',
    argv: ['env', 'AGENTCTL_LOG=/workspace/outbox/agent-codex.log', 'sh', '-c', 'x', 'agentctl-run', 'codex', 'exec'],
    stdin: false,
    autoRemove: false,
  });
}

const plan = (placement = {}, gpu = false) =>
  swarmServiceSpec({ spec: spec({ gpu }), callbackUrl: 'http://10.0.0.5:41234', secret: { id: 'sec1', name: 'svc-run' }, placement, graceSeconds: 5 });

describe('swarmServiceSpec', () => {
  it('is a one-task replicated job that is never restarted, labelled on the service and the task container', () => {
    const service = plan();
    expect(service.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(service.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none', MaxAttempts: 0 });
    expect(service.Labels['dev.agentctl.workspace']).toBe(WS);
    expect(service.TaskTemplate.ContainerSpec.Labels['dev.agentctl.workspace']).toBe(WS);
  });

  it('mounts nothing of this machine: every mount is a tmpfs volume of the node, the workspace among them', () => {
    const mounts = plan().TaskTemplate.ContainerSpec.Mounts;
    expect(mounts.map((mount) => mount.Target)).toEqual(['/tmp', '/var/tmp', '/home/agent', '/workspace']);
    for (const mount of mounts) {
      expect(mount.Type).toBe('volume');
      expect(mount.VolumeOptions.DriverConfig.Options).toMatchObject({ type: 'tmpfs', device: 'tmpfs' });
      expect(mount).not.toHaveProperty('Source');
    }
    expect(mounts.find((mount) => mount.Target === '/workspace')?.VolumeOptions.DriverConfig.Options.o).toContain('uid=1000,gid=1000');
  });

  it('carries the hardening Swarm can express: read-only root, no capabilities, limits, the agent user', () => {
    const container = plan().TaskTemplate.ContainerSpec;
    expect(container).toMatchObject({ ReadOnly: true, CapabilityDrop: ['ALL'], CapabilityAdd: [], User: '1000:1000', StopGracePeriod: 15e9 });
    expect(plan().TaskTemplate.Resources.Limits).toEqual({ NanoCPUs: expect.any(Number), MemoryBytes: 4 * 1024 ** 3, Pids: expect.any(Number) });
  });

  it('names keys only in the secret: the spec has the fixed values and the courier address, the secret file is the user\'s alone', () => {
    const container = plan().TaskTemplate.ContainerSpec;
    expect(container.Env).toContain('AGENTCTL_CALLBACK=http://10.0.0.5:41234');
    expect(container.Env.some((entry) => entry.startsWith('OPENAI_API_KEY'))).toBe(false);
    expect(container.Secrets).toEqual([{ SecretID: 'sec1', SecretName: 'svc-run', File: { Name: 'agentctl-run', UID: '1000', GID: '1000', Mode: 0o400 } }]);
    expect(JSON.parse(secretPayload('tok', { OPENAI_API_KEY: 'sk-1' }))).toEqual({ token: 'tok', env: { OPENAI_API_KEY: 'sk-1' } });
  });

  it('runs the wrapped agent behind the bootstrap, its argv untouched', () => {
    const container = plan().TaskTemplate.ContainerSpec;
    expect(container.Command.slice(0, 2)).toEqual(['node', '-e']);
    expect(container.Args).toEqual(spec().argv);
  });

  it('reserves what the placement asks, GPUs as generic resources, with its constraints', () => {
    const service = plan({ reserve_cpus: 1.5, reserve_memory: '2g', constraints: ['node.labels.gpu==true'] }, true);
    expect(service.TaskTemplate.Resources.Reservations).toEqual({
      NanoCPUs: 1.5e9,
      MemoryBytes: 2 * 1024 ** 3,
      GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 1 } }],
    });
    expect(service.TaskTemplate.Placement).toEqual({ Constraints: ['node.labels.gpu==true'] });
    expect(plan().TaskTemplate.Placement).toBeUndefined();
  });

  it('renders for a dry run as a docker service create with no bind mount', () => {
    const argv = renderRunArgv('swarm', spec());
    expect(argv.slice(0, 8)).toEqual(['docker', 'service', 'create', '--detach', '--mode', 'replicated-job', '--restart-condition', 'none']);
    expect(argv).not.toContain('--volume');
    expect(argv.filter((arg) => arg.startsWith('type=')).every((arg) => arg.startsWith('type=volume,') && arg.includes('volume-opt=type=tmpfs'))).toBe(true);
  });
});

describe('mergePlacement', () => {
  it('takes the most specific value per field and adds up constraints', () => {
    expect(
      mergePlacement(
        { reserve_cpus: 1, reserve_memory: '1g', constraints: ['node.role==worker'], generic_resources: { gpu: 1 } },
        { reserve_memory: '4g', constraints: ['node.labels.pool==codex'] },
        undefined,
        { reserve_cpus: 2, constraints: ['node.role==worker'], generic_resources: { fpga: 1 } },
      ),
    ).toEqual({ reserve_cpus: 2, reserve_memory: '4g', generic_resources: { gpu: 1, fpga: 1 }, constraints: ['node.role==worker', 'node.labels.pool==codex'] });
  });
});

describe('observeTask', () => {
  const task = (overrides: Partial<SwarmTaskView>): SwarmTaskView => ({ state: 'running', exitCode: undefined, message: undefined, error: undefined, nodeState: 'ready', containerExit: undefined, ...overrides });
  it.each<[string, SwarmTaskView | undefined, TaskObservation]>([
    ['no task yet: still being placed', undefined, { phase: 'running' }],
    ['pending on no node: still waiting', task({ state: 'pending', nodeState: undefined }), { phase: 'running' }],
    ['running', task({}), { phase: 'running' }],
    ['complete: exit 0', task({ state: 'complete', exitCode: 0 }), { phase: 'ended', exitCode: 0, killed: false }],
    ['still running to the manager, exited on the manager\'s engine: ended, with the engine\'s code', task({ containerExit: 3 }), { phase: 'ended', exitCode: 3, killed: false }],
    ['still starting to the manager, killed on the manager\'s engine', task({ state: 'starting', containerExit: 137 }), { phase: 'ended', exitCode: 137, killed: false }],
    ['the node is down: node-lost, whatever its engine said last', task({ nodeState: 'down', containerExit: 0 }), { phase: 'ended', exitCode: undefined, killed: false, lost: 'node-lost: the node running the task went down' }],
    ['failed with an exit code', task({ state: 'failed', exitCode: 3 }), { phase: 'ended', exitCode: 3, killed: false }],
    ['running on a node that is down: node-lost', task({ nodeState: 'down' }), { phase: 'ended', exitCode: undefined, killed: false, lost: 'node-lost: the node running the task went down' }],
    ['orphaned: node-lost', task({ state: 'orphaned' }), { phase: 'ended', exitCode: undefined, killed: false, lost: 'node-lost: the node running the task went down' }],
    [
      'rejected by its node: the manager\'s words',
      task({ state: 'rejected', error: 'No such image: x', message: 'preparing' }),
      { phase: 'ended', exitCode: undefined, killed: false, lost: 'task rejected: No such image: x: preparing' },
    ],
  ])('%s', (_name, seen, expected) => {
    expect(observeTask(seen)).toEqual(expected);
  });
});
