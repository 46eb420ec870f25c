import { describe, expect, it } from 'vitest';
import type { RuntimeName } from '../../../src/core/container/container-spec.js';
import { gpuArgs, gpuUnavailable, isGpuRefusal } from '../../../src/core/container/gpu-request.js';

describe('gpuArgs', () => {
  it.each<[RuntimeName, string[]]>([
    ['docker', ['--gpus=all']],
    // Podman takes the CDI device; Docker's --gpus it accepts and then ignores.
    ['podman', ['--device', 'nvidia.com/gpu=all']],
    ['apple', ['--gpu=metal']],
  ])('%s asks for the GPUs with %j', (runtime, args) => {
    expect(gpuArgs(runtime)).toStrictEqual(args);
  });
});

describe('isGpuRefusal', () => {
  it.each<[string, boolean]>([
    ['could not select device driver "" with capabilities: [[gpu]]', true],
    ['setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=all', true],
    ['connect ENOENT /var/run/docker.sock', false],
    ['No such image: localhost/x:1', false],
  ])('%j: %s', (reason, refusal) => {
    expect(isGpuRefusal(reason)).toBe(refusal);
  });
});

describe('gpuUnavailable', () => {
  it.each<['docker' | 'podman', RegExp, RegExp]>([
    ['docker', /Docker has no NVIDIA runtime/, /NVIDIA Container Toolkit.*nvidia-ctk runtime configure --runtime=docker.*without --gpu/],
    ['podman', /Podman has no CDI spec for nvidia\.com\/gpu=all/, /nvidia-ctk cdi generate --output=\/etc\/cdi\/nvidia\.yaml.*without --gpu/],
  ])('%s: says what is missing and how to get it, not that the engine is down', (runtime, message, hint) => {
    const error = gpuUnavailable(runtime, 'the engine said so');
    expect(error.code).toBe('gpu_unavailable');
    expect(error.exitCode).toBe(4);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('the engine said so');
    expect(error.hint).toMatch(hint);
    expect(error.hint).not.toMatch(/is running/);
  });
});
