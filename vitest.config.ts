import { defineConfig } from 'vitest/config';

/**
 * Files that measure agentctl's own memory run after all the others, one at
 * a time: on a 2-core machine a second file's engine work changes when V8
 * collects the flood's garbage, and so the peak the file measures.
 */
const ALONE = ['test/integration/hostile-flood.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Where test/support/engines.sh puts the engines and the test image, unless told otherwise.
    env: {
      AGENTCTL_TEST_DOCKER_HOST: process.env.AGENTCTL_TEST_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock',
      AGENTCTL_TEST_PODMAN_HOST: process.env.AGENTCTL_TEST_PODMAN_HOST ?? 'unix:///tmp/agentctl-podman.sock',
      AGENTCTL_TEST_IMAGE: process.env.AGENTCTL_TEST_IMAGE ?? 'localhost/agentctl-test:latest',
    },
    projects: [
      // Two files at a time: most of the suite waits on engines, sshd and fake forges rather than
      // on the CPU, so two workers on 2 cores take the suite from ~18 min to ~11 (docs/development/testing.md).
      { extends: true, test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
