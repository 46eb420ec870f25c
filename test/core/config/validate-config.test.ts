import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/core/config/schema.js';
import { configError, describeIssue, fieldPath, finalizeConfig, mergeRaw, validateLayer } from '../../../src/core/config/validate-config.js';
import { thrown } from '../thrown.js';

const firstIssue = (raw: unknown) => configSchema.safeParse(raw).error?.issues[0] as z.core.$ZodIssue;

describe('fieldPath: a setting as a user writes it to find it', () => {
  it.each([
    [['defaults', 'agent'], 'defaults.agent'],
    [['repos', 'acme/web', 'copy', 0, 'to'], 'repos.acme/web.copy[0].to'],
    [['agents', 'my bot', 'env'], 'agents["my bot"].env'],
    [['forges', 'git.example', 'url'], 'forges["git.example"].url'],
    [[], ''],
  ] as const)('%j → %s', (path, text) => {
    expect(fieldPath(path)).toBe(text);
  });
});

describe('describeIssue: what is wrong, in words', () => {
  it.each([
    [{ defaults: { agnet: 'claude' } }, 'defaults.agnet: unknown setting "agnet"'],
    [{ runtime: { native_agents: true } }, 'runtime.native_agents: unknown setting "native_agents" (removed: every agent runs in a container; put "host: true" under agents.<name> to run one on the host)'],
    [{ timeouts: { agent: 'soon' } }, 'timeouts.agent: '],
  ] as const)('%j', (raw, text) => {
    expect(describeIssue(firstIssue(raw)).text.startsWith(text)).toBe(true);
  });
});

describe('configError: where, what, and a valid example of the section', () => {
  it('names the file and line, and shows an example of a known section', () => {
    const error = configError('/home/ada/.config/agentctl/config.yaml', 7, 'pools.codex.limit: too small', 'pools');
    expect(error.message).toBe('invalid config /home/ada/.config/agentctl/config.yaml, line 7: pools.codex.limit: too small');
    expect(error.exitCode).toBe(3);
    expect(error.hint).toBe('a valid example:\n  pools:\n    codex:\n      limit: 2');
  });

  it('without a known section, points at the reference', () => {
    expect(configError('env', undefined, 'x', undefined).hint).toBe('fix the file; docs/reference/config.md lists every setting');
  });
});

describe('layers', () => {
  it('mergeRaw: later layers win; mappings merge key by key, lists and scalars replace', () => {
    const merged = mergeRaw([
      { defaults: { agent: 'codex', org: 'acme' }, qa: { commands: ['npm test'] } },
      { defaults: { agent: 'claude' }, qa: { commands: ['go test ./...'] } },
    ]);
    expect(merged).toEqual({ defaults: { agent: 'claude', org: 'acme' }, qa: { commands: ['go test ./...'] } });
  });

  it('validateLayer: an environment layer with a bad value names its source and setting', () => {
    const error = thrown(() => validateLayer({ timeouts: { agent: 'soon' } }, 'AGENTCTL_TIMEOUT'));
    expect(error.code).toBe('invalid_config');
    expect(error.message).toMatch(/^invalid config AGENTCTL_TIMEOUT: timeouts\.agent: /);
  });

  it('finalizeConfig: fills in the defaults of what no layer set', () => {
    const config = finalizeConfig(mergeRaw([{ defaults: { agent: 'claude' } }]), 'test');
    expect(config.defaults.agent).toBe('claude');
    expect(config.timeouts.grace).toBe(5);
  });
});
