import { describe, expect, it } from 'vitest';
import { envOverrides } from '../../../src/core/config/env-overrides.js';

describe('envOverrides', () => {
  it.each<[Record<string, string | undefined>, ReturnType<typeof envOverrides>]>([
    [{}, { layer: undefined, names: [] }],
    [{ AGENTCTL_AGENT: '' , HOME: '/root' }, { layer: undefined, names: [] }],
    [{ AGENTCTL_AGENT: 'claude:opus' }, { layer: { defaults: { agent: 'claude:opus' } }, names: ['AGENTCTL_AGENT'] }],
    [
      { AGENTCTL_ORG: 'acme', AGENTCTL_FORGE: 'codeberg', AGENTCTL_AGENT: 'gemini' },
      { layer: { defaults: { agent: 'gemini', org: 'acme', forge: 'codeberg' } }, names: ['AGENTCTL_AGENT', 'AGENTCTL_ORG', 'AGENTCTL_FORGE'] },
    ],
    [{ AGENTCTL_RUNTIME: 'podman', AGENTCTL_GPU: 'yes' }, { layer: { runtime: { prefer: 'podman', gpu: true } }, names: ['AGENTCTL_RUNTIME', 'AGENTCTL_GPU'] }],
    [{ AGENTCTL_GPU: 'OFF' }, { layer: { runtime: { gpu: false } }, names: ['AGENTCTL_GPU'] }],
    [{ AGENTCTL_GPU: '1' }, { layer: { runtime: { gpu: true } }, names: ['AGENTCTL_GPU'] }],
    // Left as text so the schema reports it.
    [{ AGENTCTL_GPU: 'maybe' }, { layer: { runtime: { gpu: 'maybe' } }, names: ['AGENTCTL_GPU'] }],
    [{ AGENTCTL_TIMEOUT: '90' }, { layer: { timeouts: { agent: 90 } }, names: ['AGENTCTL_TIMEOUT'] }],
    [{ AGENTCTL_TIMEOUT: '1.5' }, { layer: { timeouts: { agent: '1.5' } }, names: ['AGENTCTL_TIMEOUT'] }],
    [{ AGENTCTL_TIMEOUT: '-5' }, { layer: { timeouts: { agent: '-5' } }, names: ['AGENTCTL_TIMEOUT'] }],
  ])('%j', (env, expected) => {
    expect(envOverrides(env)).toStrictEqual(expected);
  });
});
