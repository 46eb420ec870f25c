import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/config-show.js';
import { AgentctlError } from '../../../src/core/errors.js';
import { fakeDeps } from '../../fakes/fake-deps.js';

describe('config show', () => {
  it('prints the merged config with token variables by name and whether they are set', async () => {
    const deps = fakeDeps({ env: { GITHUB_TOKEN: 'ghp_supersecret' } });
    const path = deps.writeUserConfig('forges:\n  gh:\n    kind: github\n    url: https://github.com\n    token_env: GITHUB_TOKEN\n  cb:\n    kind: forgejo\n    url: https://codeberg.org\n    token_env: CODEBERG_TOKEN\n');
    expect(await run({ json: true }, deps)).toBe(0);
    const out = JSON.parse(deps.io.stdout);
    expect(out.sources).toEqual([path]);
    expect(out.home).toBe(deps.state);
    expect(out.config.forges.gh).toEqual({ kind: 'github', url: 'https://github.com', token_env: 'GITHUB_TOKEN' });
    expect(out.secrets).toEqual([
      { name: 'GITHUB_TOKEN', usedBy: 'forges.gh', set: true },
      { name: 'CODEBERG_TOKEN', usedBy: 'forges.cb', set: false },
    ]);
    expect(deps.io.stdout).not.toContain('ghp_supersecret');
  });

  it('lets AGENTCTL_* variables override the files, and says so', async () => {
    const deps = fakeDeps({ env: { AGENTCTL_RUNTIME: 'podman', AGENTCTL_AGENT: 'claude' } });
    deps.writeUserConfig('runtime:\n  prefer: docker\n');
    await run({}, deps);
    expect(deps.io.stdout).toContain('# sources (later wins): ');
    expect(deps.io.stdout).toContain('environment: AGENTCTL_AGENT, AGENTCTL_RUNTIME');
    expect(deps.io.stdout).toMatch(/runtime:\n {2}prefer: podman\n/);
    expect(deps.io.stdout).toMatch(/defaults:\n {2}agent: claude\n/);
  });

  it('refuses an invalid environment override with the variable named', async () => {
    const deps = fakeDeps({ env: { AGENTCTL_RUNTIME: 'kubernetes' } });
    const error = await run({}, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentctlError);
    expect((error as AgentctlError).message).toMatch(/^invalid config environment \(AGENTCTL_RUNTIME\).*runtime\.prefer/);
    expect((error as AgentctlError).exitCode).toBe(3);
  });
});
