import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Most files wait on engines, git and child processes rather than on the CPU: two at a time even on a 2-core
    // machine (vitest's default there is one) keeps CI within its time; tests never share a state home or a name.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Where test/support/engines.sh puts the engines and the test image, unless told otherwise.
    env: {
      AGENTCTL_TEST_DOCKER_HOST: process.env.AGENTCTL_TEST_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock',
      AGENTCTL_TEST_PODMAN_HOST: process.env.AGENTCTL_TEST_PODMAN_HOST ?? 'unix:///tmp/agentctl-podman.sock',
      AGENTCTL_TEST_IMAGE: process.env.AGENTCTL_TEST_IMAGE ?? 'localhost/agentctl-test:latest',
    },
  },
});
