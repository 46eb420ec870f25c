import { describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS, resolveAgent, type ResolvedAgent } from '../../../src/core/agents/resolve-agent.js';
import { configSchema } from '../../../src/core/config/schema.js';
import { thrown } from '../thrown.js';

const defaults = configSchema.parse({});

describe('resolveAgent over the default config: every agent in a container', () => {
  it('knows five built-ins', () => {
    expect([...BUILTIN_AGENTS]).toStrictEqual(['claude', 'codex', 'gemini', 'coderabbit', 'local']);
  });

  it.each<[string, Omit<ResolvedAgent, 'settings'>]>([
    ['claude', { spec: 'claude', base: 'claude', variant: undefined, builtin: 'claude', native: false, pool: 'claude' }],
    ['claude:opus', { spec: 'claude:opus', base: 'claude', variant: 'opus', builtin: 'claude', native: false, pool: 'claude' }],
    ['codex', { spec: 'codex', base: 'codex', variant: undefined, builtin: 'codex', native: false, pool: 'codex' }],
    ['codex:review', { spec: 'codex:review', base: 'codex', variant: 'review', builtin: 'codex', native: false, pool: 'codex' }],
    ['gemini:gemini-2.5-pro', { spec: 'gemini:gemini-2.5-pro', base: 'gemini', variant: 'gemini-2.5-pro', builtin: 'gemini', native: false, pool: 'gemini' }],
    ['coderabbit', { spec: 'coderabbit', base: 'coderabbit', variant: undefined, builtin: 'coderabbit', native: false, pool: 'coderabbit' }],
    ['local:qwen3', { spec: 'local:qwen3', base: 'local', variant: 'qwen3', builtin: 'local', native: false, pool: 'local' }],
    ['local:qwen3_8b.q4-k', { spec: 'local:qwen3_8b.q4-k', base: 'local', variant: 'qwen3_8b.q4-k', builtin: 'local', native: false, pool: 'local' }],
  ])('%s', (spec, expected) => {
    expect(resolveAgent(spec, defaults)).toStrictEqual({ ...expected, settings: {} });
  });
});

describe('resolveAgent with configured agents and pools', () => {
  const config = configSchema.parse({
    agents: {
      mybot: { command: ['mybot', '{prompt}'], env: ['MYBOT_KEY'] },
      otherbot: { command: ['otherbot', '{prompt_file}'], pool: 'shared', native: true },
      claude: { model: 'sonnet', native: false },
      codex: { pool: 'openai' },
      gemini: { host: true },
    },
    pools: {
      cloud: { limit: 2, agents: ['codex', 'gemini', 'mybot'] },
      lab: { limit: 1 },
    },
  });

  it.each<[string, { pool: string; native: boolean; builtin: ResolvedAgent['builtin'] }]>([
    // agents.<name>.pool wins over a pools entry that lists the agent.
    ['codex', { pool: 'openai', native: false, builtin: 'codex' }],
    ['gemini', { pool: 'cloud', native: true, builtin: 'gemini' }],
    ['gemini:flash', { pool: 'cloud', native: true, builtin: 'gemini' }],
    ['mybot', { pool: 'cloud', native: false, builtin: undefined }],
    ['otherbot', { pool: 'shared', native: true, builtin: undefined }],
    // Only an agent's own entry puts it on the host.
    ['claude', { pool: 'claude', native: false, builtin: 'claude' }],
    ['coderabbit', { pool: 'coderabbit', native: false, builtin: 'coderabbit' }],
    ['local', { pool: 'local', native: false, builtin: 'local' }],
  ])('%s', (spec, expected) => {
    const agent = resolveAgent(spec, config);
    expect({ pool: agent.pool, native: agent.native, builtin: agent.builtin }).toStrictEqual(expected);
  });

  it('carries the agent settings from the config', () => {
    expect(resolveAgent('mybot', config).settings).toStrictEqual({ command: ['mybot', '{prompt}'], env: ['MYBOT_KEY'] });
    expect(resolveAgent('claude:opus', config).settings).toStrictEqual({ model: 'sonnet', native: false });
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['host: true', { host: true }, true],
    ['host: false', { host: false }, false],
    ['the older native: true', { native: true }, true],
    ['host wins over native', { host: false, native: true }, false],
    ['neither', {}, false],
  ])('agents.<name>: %s', (_, settings, host) => {
    const cfg = configSchema.parse({ agents: { claude: settings } });
    expect(resolveAgent('claude', cfg).native).toBe(host);
  });

  it('runtime.native_agents is gone: agents run on the host only by their own entry', () => {
    expect(configSchema.safeParse({ runtime: { native_agents: ['claude'] } }).success).toBe(false);
  });

  it.each([['nope'], ['nope:opus'], ['Claude'], ['']])('unknown agent %j lists built-ins and custom agents', (spec) => {
    const error = thrown(() => resolveAgent(spec, config));
    expect(error.code).toBe('unknown_agent');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`unknown agent ${JSON.stringify(spec.split(':')[0])}`);
    expect(error.hint).toBe(
      'use one of: claude, codex, gemini, coderabbit, local, mybot, otherbot; or add a custom agent with a "command" under "agents:" in the config',
    );
  });

  it('a custom agent without a command is refused', () => {
    const cfg = configSchema.parse({ agents: { halfbot: { model: 'x' } } });
    const error = thrown(() => resolveAgent('halfbot', cfg));
    expect(error.code).toBe('unknown_agent');
    expect(error.message).toBe('agent "halfbot" is configured without a command');
  });

  it.each<[string, string]>([
    ['local:devstral:24b', 'devstral:24b'],
    ['local:qwen3:30b-a3b', 'qwen3:30b-a3b'],
    ['claude:opus:4', 'opus:4'],
  ])('%j keeps everything after the first ":" as the variant (Ollama model names)', (spec, variant) => {
    const agent = resolveAgent(spec, config);
    expect(agent.base).toBe(spec.slice(0, spec.indexOf(':')));
    expect(agent.variant).toBe(variant);
  });

  it.each([['claude:'], ['claude:-rf'], ['claude:a b'], ['codex:$(id)'], ['gemini:../x'], ['local::24b'], ['local:devstral:24b;id'], ['mybot:.hidden']])(
    'bad variant in %j',
    (spec) => {
      const error = thrown(() => resolveAgent(spec, config));
      expect(error.code).toBe('invalid_agent_variant');
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(`invalid model or variant ${JSON.stringify(spec.slice(spec.indexOf(':') + 1))} in --agent ${JSON.stringify(spec)}`);
      expect(error.hint).toBe('use letters, digits, ".", "_", "-" and ":", for example --agent claude:sonnet or --agent local:devstral:24b');
    },
  );
});
