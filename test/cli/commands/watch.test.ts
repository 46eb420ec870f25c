import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/watch.js';
import { AgentctlError, ExitCode } from '../../../src/core/errors.js';
import { fakeDeps } from '../../fakes/fake-deps.js';

async function rejection(promise: Promise<unknown>): Promise<AgentctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentctlError);
  return error as AgentctlError;
}

describe('watch: refused before anything is polled', () => {
  it('without routes, says where they go', async () => {
    const d = fakeDeps();
    const error = await rejection(run({ once: true }, d));
    expect(error.code).toBe('no_watch_routes');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.hint).toContain('Watch a label');
  });

  it('a route naming a forge that is not configured names the field and the configured forges', async () => {
    const d = fakeDeps();
    d.writeUserConfig('forges:\n  gh:\n    kind: github\n    url: https://github.com\n    token_env: GITHUB_TOKEN\nwatch:\n  routes:\n    - forge: gh\n      repos: [acme/web]\n    - forge: gitlab\n      repos: [acme/api]\n');
    const error = await rejection(run({ once: true }, d));
    expect(error.code).toBe('invalid_config');
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toBe('invalid config: watch.routes[1].forge: names forge "gitlab", which is not under forges:');
    expect(error.hint).toBe('configured forges: gh');
  });
});
