import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Where test/support/engines.sh puts the engines and the test image, unless told otherwise.
    env: {
      AGENTCTL_TEST_DOCKER_HOST: process.env.AGENTCTL_TEST_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock',
      AGENTCTL_TEST_PODMAN_HOST: process.env.AGENTCTL_TEST_PODMAN_HOST ?? 'unix:///tmp/agentctl-podman.sock',
      AGENTCTL_TEST_IMAGE: process.env.AGENTCTL_TEST_IMAGE ?? 'localhost/agentctl-test:latest',
    },
  },
});
