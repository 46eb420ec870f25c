import { describe, expect, it } from 'vitest';
import type { RuntimeName } from '../../src/core/container/container-spec.js';
import { AgentctlError } from '../../src/core/errors.js';
import { assertRuntimeSupported, candidateOrder, selectRuntime, type ProbeResult } from '../../src/core/runtime-selection.js';
import { thrown } from './thrown.js';

const ENDPOINT: Record<RuntimeName, string> = {
  docker: 'unix:///var/run/docker.sock',
  podman: 'unix:///run/podman/podman.sock',
  apple: 'container',
  swarm: 'unix:///var/run/docker.sock',
};

function up(runtime: RuntimeName): ProbeResult {
  return { runtime, ok: true, detail: `${runtime} 1.0`, endpoint: ENDPOINT[runtime] };
}

function down(runtime: RuntimeName, detail = 'connect ENOENT'): ProbeResult {
  return { runtime, ok: false, detail, endpoint: ENDPOINT[runtime] };
}

const HINT =
  'start Docker (dockerd, or Docker Desktop) or Podman (podman system service --time=0 unix:///run/podman/podman.sock &); ' +
  'or point DOCKER_HOST / CONTAINER_HOST at a running engine; ' +
  'or run the agent on the host, without a sandbox (agents.<name>.host: true)';

describe('candidateOrder', () => {
  it.each<[NodeJS.Platform, RuntimeName[]]>([
    ['linux', ['docker', 'podman']],
    ['darwin', ['apple', 'docker', 'podman']],
    ['win32', ['docker', 'podman']],
    ['freebsd', ['docker', 'podman']],
  ])('on %s tries %j', (platform, order) => {
    expect(candidateOrder(platform)).toEqual(order);
  });
});

describe('selectRuntime', () => {
  it.each<[string, 'auto' | RuntimeName, ProbeResult[], NodeJS.Platform, RuntimeName]>([
    ['auto on linux, both up: docker first', 'auto', [up('docker'), up('podman')], 'linux', 'docker'],
    ['auto on linux, only podman up', 'auto', [down('docker'), up('podman')], 'linux', 'podman'],
    ['auto on linux, only docker up', 'auto', [up('docker'), down('podman')], 'linux', 'docker'],
    ['auto on linux ignores an apple probe', 'auto', [up('apple'), up('podman')], 'linux', 'podman'],
    ['auto on darwin, all up: apple first', 'auto', [up('docker'), up('podman'), up('apple')], 'darwin', 'apple'],
    ['auto on darwin, apple down: docker', 'auto', [down('apple'), up('docker'), up('podman')], 'darwin', 'docker'],
    ['auto on darwin, only podman up', 'auto', [down('apple'), down('docker'), up('podman')], 'darwin', 'podman'],
    ['explicit podman available though docker is first', 'podman', [up('docker'), up('podman')], 'linux', 'podman'],
    ['explicit docker available on darwin', 'docker', [up('apple'), up('docker')], 'darwin', 'docker'],
    ['explicit apple available on darwin', 'apple', [up('apple'), up('docker')], 'darwin', 'apple'],
  ])('%s', (_name, prefer, probes, platform, expected) => {
    expect(selectRuntime(prefer, probes, platform)).toEqual({ runtime: expected, warning: undefined });
  });

  it.each<[string, 'auto' | RuntimeName, ProbeResult[], NodeJS.Platform, RuntimeName, string]>([
    [
      'podman down, docker up',
      'podman',
      [up('docker'), down('podman', 'connect ECONNREFUSED /run/podman/podman.sock')],
      'linux',
      'docker',
      'runtime podman is not available (connect ECONNREFUSED /run/podman/podman.sock); using docker instead',
    ],
    [
      'docker down, podman up',
      'docker',
      [down('docker', 'permission denied'), up('podman')],
      'linux',
      'podman',
      'runtime docker is not available (permission denied); using podman instead',
    ],
    [
      'apple down on darwin falls back in platform order',
      'apple',
      [down('apple', 'container system is not running'), down('docker'), up('podman')],
      'darwin',
      'podman',
      'runtime apple is not available (container system is not running); using podman instead',
    ],
  ])('explicit choice unavailable: %s', (_name, prefer, probes, platform, runtime, warning) => {
    expect(selectRuntime(prefer, probes, platform)).toEqual({ runtime, warning });
  });

  it.each<[string, 'auto' | RuntimeName, ProbeResult[], NodeJS.Platform, string]>([
    [
      'auto on linux, both down',
      'auto',
      [down('docker', 'connect ENOENT /var/run/docker.sock'), down('podman', 'connect ENOENT /run/podman/podman.sock')],
      'linux',
      'no container runtime is available (tried docker at unix:///var/run/docker.sock: connect ENOENT /var/run/docker.sock; ' +
        'podman at unix:///run/podman/podman.sock: connect ENOENT /run/podman/podman.sock)',
    ],
    [
      'explicit podman, both down',
      'podman',
      [down('docker', 'timeout'), down('podman', 'refused')],
      'linux',
      'no container runtime is available (tried docker at unix:///var/run/docker.sock: timeout; podman at unix:///run/podman/podman.sock: refused)',
    ],
    [
      'darwin, all three down',
      'auto',
      [down('apple', 'not installed'), down('docker', 'a'), down('podman', 'b')],
      'darwin',
      'no container runtime is available (tried apple at container: not installed; docker at unix:///var/run/docker.sock: a; podman at unix:///run/podman/podman.sock: b)',
    ],
    ['nothing probed at all', 'auto', [], 'linux', 'no container runtime is available (tried nothing)'],
  ])('nothing available: %s', (_name, prefer, probes, platform, message) => {
    const error = thrown(() => selectRuntime(prefer, probes, platform));
    expect(error).toBeInstanceOf(AgentctlError);
    expect(error.code).toBe('no_runtime');
    expect(error.exitCode).toBe(4);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(HINT);
  });
});

describe('apple off macOS', () => {
  it.each<[NodeJS.Platform]>([['linux'], ['win32'], ['freebsd']])('is refused on %s with a hint, even with other engines up', (platform) => {
    const error = thrown(() => selectRuntime('apple', [up('docker'), up('podman')], platform));
    expect(error.code).toBe('runtime_unsupported');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`runtime apple (Apple container) runs only on macOS, not on ${platform}`);
    expect(error.hint).toBe('use --runtime docker, podman or auto (and runtime.prefer / AGENTCTL_RUNTIME likewise)');
  });

  it.each<['auto' | RuntimeName, NodeJS.Platform]>([
    ['apple', 'darwin'],
    ['auto', 'linux'],
    ['docker', 'linux'],
    ['podman', 'win32'],
  ])('%s on %s is allowed', (prefer, platform) => {
    expect(() => assertRuntimeSupported(prefer, platform)).not.toThrow();
  });
});
