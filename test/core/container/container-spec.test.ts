import { describe, expect, it } from 'vitest';
import {
  buildContainerSpec,
  FALLBACK_AGENT_USER,
  renderRunArgv,
  type ContainerSpecInput,
  type RuntimeName,
} from '../../../src/core/container/container-spec.js';

const RUN_ID = 'run-20260304-050607-8000';
const WS = '/home/me/.agentctl/workspace/acme/web/task-42';

function input(overrides: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  return {
    image: 'localhost/agentctl-agent:latest',
    runId: RUN_ID,
    workspaceRoot: WS,
    labels: { 'dev.agentctl.run': RUN_ID, 'dev.agentctl.repo': 'acme/web' },
    configDirs: [{ hostPath: '/home/me/.codex', name: '.codex', files: ['auth.json'] }],
    envNames: ['OPENAI_API_KEY'],
    gitIdentity: { name: 'agentctl', email: 'agentctl@localhost' },
    hostUser: { uid: 1001, gid: 1002 },
    gpu: false,
    runtime: 'docker',
    argv: ['codex', 'exec', '--', 'Fix it; rm -rf /'],
    stdin: false,
    autoRemove: true,
    ...overrides,
  };
}

const FIXED_ENV = [
  '--env', 'TERM=dumb',
  '--env', 'NO_COLOR=1',
  '--env', 'CI=true',
  '--env', 'HOME=/home/agent',
  '--env', 'GIT_AUTHOR_NAME=agentctl',
  '--env', 'GIT_AUTHOR_EMAIL=agentctl@localhost',
  '--env', 'GIT_COMMITTER_NAME=agentctl',
  '--env', 'GIT_COMMITTER_EMAIL=agentctl@localhost',
];

/** The hardening flags every container gets, as the engine CLIs take them. */
function hardeningArgv(program: string, user: string): string[] {
  const [uid, gid] = user.split(':');
  if (program === 'container') {
    return ['--cap-drop', 'ALL', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp', '--tmpfs', '/home/agent', '--memory', '4g', '--cpus', '2'];
  }
  const home = program === 'podman' ? 'rw,nosuid,nodev,exec,U' : `rw,nosuid,nodev,exec,uid=${uid},gid=${gid},mode=0700`;
  return [
    '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges',
    '--read-only',
    '--tmpfs', '/tmp:rw,nosuid,nodev,exec,mode=1777',
    '--tmpfs', '/var/tmp:rw,nosuid,nodev,exec,mode=1777',
    '--tmpfs', `/home/agent:${home}`,
    '--pids-limit', '2048', '--memory', '4g', '--cpus', '2',
    '--network', 'bridge',
  ];
}

/** The host's name as each engine lets the container reach it: Docker by an --add-host entry, Podman by its own mapping, Apple by its network's gateway. */
const GATEWAY_NAME: Record<string, string> = { docker: 'host.docker.internal', podman: 'host.containers.internal', container: '192.168.64.1' };

function expectedArgv(program: string, user: string, tail: { gpuFlags?: string[]; interactive?: boolean }): string[] {
  return [
    program, 'run', '--detach', '--rm', '--name', `agentctl-${RUN_ID}`,
    ...(tail.interactive === true ? ['--interactive'] : []),
    '--label', `dev.agentctl.run=${RUN_ID}`,
    '--label', 'dev.agentctl.repo=acme/web',
    // Never the whole workspace: its .meta (agentctl's own state) is not the agent's.
    '--volume', `${WS}/repo:/workspace/repo`,
    '--volume', `${WS}/outbox:/workspace/outbox`,
    '--volume', `${WS}/inbox:/workspace/inbox:ro`,
    '--volume', '/home/me/.codex/auth.json:/agentctl/credentials/.codex/auth.json:ro',
    '--workdir', '/workspace/repo',
    '--user', user,
    ...hardeningArgv(program, user),
    ...FIXED_ENV,
    '--env', `AGENTCTL_HOST_GATEWAY=${GATEWAY_NAME[program]}`,
    '--env', 'OPENAI_API_KEY',
    // Podman maps host.containers.internal itself, and would take "host-gateway" literally.
    ...(program === 'docker' ? ['--add-host', 'host.docker.internal:host-gateway'] : []),
    ...(tail.gpuFlags ?? []),
    'localhost/agentctl-agent:latest', 'codex', 'exec', '--', 'Fix it; rm -rf /',
  ];
}

describe('buildContainerSpec', () => {
  it('describes the whole container', () => {
    expect(buildContainerSpec(input())).toStrictEqual({
      image: 'localhost/agentctl-agent:latest',
      name: `agentctl-${RUN_ID}`,
      labels: { 'dev.agentctl.run': RUN_ID, 'dev.agentctl.repo': 'acme/web' },
      mounts: [
        { hostPath: `${WS}/repo`, containerPath: '/workspace/repo', readOnly: false },
        { hostPath: `${WS}/outbox`, containerPath: '/workspace/outbox', readOnly: false },
        { hostPath: `${WS}/inbox`, containerPath: '/workspace/inbox', readOnly: true },
      ],
      configMounts: [{ hostPath: '/home/me/.codex/auth.json', containerPath: '/agentctl/credentials/.codex/auth.json' }],
      hardening: {
        capAdd: [],
        noNewPrivileges: true,
        readOnlyRoot: true,
        tmpfs: [
          { path: '/tmp', ownedByUser: false },
          { path: '/var/tmp', ownedByUser: false },
          { path: '/home/agent', ownedByUser: true },
        ],
        limits: { pids: 2048, memory: '4g', cpus: 2 },
        network: 'bridge',
      },
      workdir: '/workspace/repo',
      env: [
        { name: 'TERM', value: 'dumb' },
        { name: 'NO_COLOR', value: '1' },
        { name: 'CI', value: 'true' },
        { name: 'HOME', value: '/home/agent' },
        { name: 'GIT_AUTHOR_NAME', value: 'agentctl' },
        { name: 'GIT_AUTHOR_EMAIL', value: 'agentctl@localhost' },
        { name: 'GIT_COMMITTER_NAME', value: 'agentctl' },
        { name: 'GIT_COMMITTER_EMAIL', value: 'agentctl@localhost' },
        { name: 'AGENTCTL_HOST_GATEWAY', value: 'host.docker.internal' },
        { name: 'OPENAI_API_KEY' },
      ],
      user: '1001:1002',
      gpu: false,
      extraHosts: ['host.docker.internal:host-gateway'],
      argv: ['codex', 'exec', '--', 'Fix it; rm -rf /'],
      stdin: false,
      autoRemove: true,
    });
  });

  it.each<[{ uid: number; gid: number }, string]>([
    [{ uid: 0, gid: 0 }, '1000:1000'],
    [{ uid: 0, gid: 20 }, '1000:1000'],
    [{ uid: 501, gid: 20 }, '501:20'],
    [{ uid: 1000, gid: 1000 }, '1000:1000'],
    [{ uid: 1001, gid: 0 }, '1001:0'],
  ])('host user %j runs the agent as %s', (hostUser, user) => {
    expect(buildContainerSpec(input({ hostUser })).user).toBe(user);
  });

  it('the root fallback is the image agent user', () => {
    expect(FALLBACK_AGENT_USER).toBe('1000:1000');
  });

  it.each<[RuntimeName, string, string[]]>([
    ['docker', 'host.docker.internal', ['host.docker.internal:host-gateway']],
    ['podman', 'host.containers.internal', []],
    ['apple', '192.168.64.1', []],
  ])('%s: the agent reaches the host as %s (extra hosts %j)', (runtime, name, extraHosts) => {
    const spec = buildContainerSpec(input({ runtime }));
    expect(spec.extraHosts).toStrictEqual(extraHosts);
    expect(spec.env).toContainEqual({ name: 'AGENTCTL_HOST_GATEWAY', value: name });
  });

  it.each([
    ['run x/y', 'agentctl-run-x-y'],
    ['run:$(id)', 'agentctl-run---id-'],
    ['r'.repeat(200), `agentctl-${'r'.repeat(111)}`],
  ])('run id %j becomes container name %s', (runId, name) => {
    const spec = buildContainerSpec(input({ runId }));
    expect(spec.name).toBe(name);
    expect(spec.name.length).toBeLessThanOrEqual(120);
  });

  it('mounts each given credential file (never the dir) read-only beside the agent home, where the wrapper copies them from', () => {
    const spec = buildContainerSpec(input({ configDirs: [{ hostPath: '/home/me/.claude', name: '.claude', files: ['.credentials.json', 'settings.json'] }] }));
    expect(spec.configMounts).toStrictEqual([
      { hostPath: '/home/me/.claude/.credentials.json', containerPath: '/agentctl/credentials/.claude/.credentials.json' },
      { hostPath: '/home/me/.claude/settings.json', containerPath: '/agentctl/credentials/.claude/settings.json' },
    ]);
    const argv = renderRunArgv('docker', spec);
    expect(argv).toEqual(expect.arrayContaining(['/home/me/.claude/.credentials.json:/agentctl/credentials/.claude/.credentials.json:ro']));
    expect(argv.join(' ')).not.toContain('/home/me/.claude:');
  });

  it.each<[string, Partial<ContainerSpecInput>, { limits: { pids: number; memory: string; cpus: number }; network: 'bridge' | 'none'; hostGateway: boolean }]>([
    ['defaults', {}, { limits: { pids: 2048, memory: '4g', cpus: 2 }, network: 'bridge', hostGateway: true }],
    ['configured limits', { limits: { pids: 100, memory: '512m', cpus: 0.5 } }, { limits: { pids: 100, memory: '512m', cpus: 0.5 }, network: 'bridge', hostGateway: true }],
    ['more CPUs than the machine has', { limits: { pids: 2048, memory: '4g', cpus: 8 }, hostCpus: 2 }, { limits: { pids: 2048, memory: '4g', cpus: 2 }, network: 'bridge', hostGateway: true }],
    ['fewer CPUs than the machine has', { hostCpus: 16 }, { limits: { pids: 2048, memory: '4g', cpus: 2 }, network: 'bridge', hostGateway: true }],
    ['no network, so no host to reach', { network: 'none' }, { limits: { pids: 2048, memory: '4g', cpus: 2 }, network: 'none', hostGateway: false }],
  ])('hardening: %s', (_, overrides, expected) => {
    const spec = buildContainerSpec(input(overrides));
    const hostGateway = spec.extraHosts.length > 0 && spec.env.some((entry) => entry.name === 'AGENTCTL_HOST_GATEWAY');
    expect({ limits: spec.hardening.limits, network: spec.hardening.network, hostGateway }).toStrictEqual(expected);
    expect(spec.hardening).toMatchObject({ capAdd: [], noNewPrivileges: true, readOnlyRoot: true });
  });

  it.each<[RuntimeName, string[]]>([
    ['docker', ['--network', 'none']],
    ['podman', ['--network', 'none']],
  ])('%s: network none is in the dry run and drops the host gateway', (runtime, flags) => {
    const argv = renderRunArgv(runtime, buildContainerSpec(input({ runtime, network: 'none' })));
    expect(argv.join(' ')).toContain(flags.join(' '));
    expect(argv).not.toContain('--add-host');
  });
});

describe('renderRunArgv', () => {
  it.each<[RuntimeName, boolean, string[]]>([
    ['docker', false, expectedArgv('docker', '1001:1002', {})],
    ['docker', true, expectedArgv('docker', '1001:1002', { gpuFlags: ['--gpus=all'] })],
    ['podman', false, expectedArgv('podman', '1001:1002', {})],
    // Podman serves GPUs through CDI; Docker's --gpus device request it accepts and ignores.
    ['podman', true, expectedArgv('podman', '1001:1002', { gpuFlags: ['--device', 'nvidia.com/gpu=all'] })],
    ['apple', false, expectedArgv('container', '1001:1002', {})],
    ['apple', true, expectedArgv('container', '1001:1002', { gpuFlags: ['--gpu=metal'] })],
  ])('%s with gpu=%s', (runtime, gpu, argv) => {
    expect(renderRunArgv(runtime, buildContainerSpec(input({ runtime, gpu })))).toStrictEqual(argv);
  });

  it('as root, runs the agent as 1000:1000', () => {
    expect(renderRunArgv('docker', buildContainerSpec(input({ hostUser: { uid: 0, gid: 0 } })))).toStrictEqual(
      expectedArgv('docker', '1000:1000', {}),
    );
  });

  it.each([['docker'], ['podman'], ['apple']] as const)('%s keeps a container that must outlive its exit (no --rm)', (runtime) => {
    const argv = renderRunArgv(runtime, buildContainerSpec(input({ runtime, autoRemove: false })));
    expect(argv.slice(0, 5)).toStrictEqual([runtime === 'apple' ? 'container' : runtime, 'run', '--detach', '--name', `agentctl-${RUN_ID}`]);
    expect(argv).not.toContain('--rm');
  });

  it('adds --interactive when the agent reads stdin', () => {
    expect(renderRunArgv('podman', buildContainerSpec(input({ runtime: 'podman', stdin: true })))).toStrictEqual(
      expectedArgv('podman', '1001:1002', { interactive: true }),
    );
  });

  it.each([['docker'], ['podman'], ['apple']] as const)('%s passes secrets by name only', (runtime) => {
    const argv = renderRunArgv(runtime, buildContainerSpec(input({ runtime, envNames: ['OPENAI_API_KEY', 'GITHUB_TOKEN'] })));
    const envArgs = argv.flatMap((arg, i) => (argv[i - 1] === '--env' ? [arg] : []));
    expect(envArgs.slice(-2)).toStrictEqual(['OPENAI_API_KEY', 'GITHUB_TOKEN']);
    expect(argv.some((arg) => arg.startsWith('OPENAI_API_KEY=') || arg.startsWith('GITHUB_TOKEN='))).toBe(false);
  });

  it('puts fixed extra settings after the standard ones and before pass-through names', () => {
    const spec = buildContainerSpec(input({ extraEnv: [{ name: 'OLLAMA_HOST', value: 'http://host.docker.internal:11434' }] }));
    const argv = renderRunArgv('docker', spec);
    const envArgs = argv.flatMap((arg, i) => (argv[i - 1] === '--env' ? [arg] : []));
    expect(envArgs.slice(-3)).toStrictEqual(['AGENTCTL_HOST_GATEWAY=host.docker.internal', 'OLLAMA_HOST=http://host.docker.internal:11434', 'OPENAI_API_KEY']);
  });

  it('keeps the agent argv as separate trailing elements', () => {
    const argv = renderRunArgv('docker', buildContainerSpec(input({ argv: ['claude', '-p', '$(x) | y', '--verbose'] })));
    expect(argv.slice(-5)).toStrictEqual(['localhost/agentctl-agent:latest', 'claude', '-p', '$(x) | y', '--verbose']);
  });
});
