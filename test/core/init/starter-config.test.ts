import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/parse-config.js';
import { finalizeConfig } from '../../../src/core/config/validate-config.js';
import { parse as parseYaml } from 'yaml';
import { settingPaths } from '../../../src/core/config/reference.js';
import { answersProblem, forgeKey, INIT_QUESTIONS, renderStarterConfig, withDefaults, type InitAnswers } from '../../../src/core/init/starter-config.js';

describe('forgeKey', () => {
  it.each<[InitAnswers['forgeKind'], string, string]>([
    ['github', 'https://github.com', 'github'],
    ['github', 'https://github.example.com', 'github'],
    ['forgejo', 'https://codeberg.org', 'codeberg'],
    ['gitea', 'https://www.gitea.com/', 'gitea'],
    ['forgejo', 'http://10.0.0.5:3000', 'forgejo'],
    ['forgejo', 'not a url', 'forgejo'],
  ])('%s at %s → %s', (kind, url, key) => {
    expect(forgeKey(kind, url)).toBe(key);
  });
});

describe('withDefaults', () => {
  it.each<[string, Partial<InitAnswers>, InitAnswers]>([
    ['nothing given', {}, { agent: 'codex', forgeKind: 'github', forgeUrl: 'https://github.com', org: '', tokenEnv: 'GITHUB_TOKEN', runtime: 'auto' }],
    ['forgejo: its URL and token variable', { forgeKind: 'forgejo' }, { agent: 'codex', forgeKind: 'forgejo', forgeUrl: 'https://codeberg.org', org: '', tokenEnv: 'FORGEJO_TOKEN', runtime: 'auto' }],
    ['gitea', { forgeKind: 'gitea', org: 'acme' }, { agent: 'codex', forgeKind: 'gitea', forgeUrl: 'https://gitea.com', org: 'acme', tokenEnv: 'GITEA_TOKEN', runtime: 'auto' }],
  ])('%s', (_name, given, expected) => {
    expect(withDefaults(given)).toEqual(expected);
  });
});

describe('answer checks', () => {
  const problem = (key: keyof InitAnswers, value: string) => INIT_QUESTIONS.find((q) => q.key === key)!.problem(value);
  it.each<[keyof InitAnswers, string, boolean]>([
    ['agent', 'claude', true],
    ['agent', 'claude:sonnet-4.5', true],
    ['agent', 'local:devstral', true],
    ['agent', 'chatgpt', false],
    ['agent', 'claude:', false],
    ['forgeKind', 'gitlab', false],
    ['forgeUrl', 'https://git.example.org', true],
    ['forgeUrl', 'ftp://x', false],
    ['forgeUrl', 'https://tok:x@github.com', false],
    ['forgeUrl', 'github.com', false],
    ['org', '', true],
    ['org', 'acme-inc', true],
    ['org', '../etc', false],
    ['tokenEnv', 'GITHUB_TOKEN', true],
    ['tokenEnv', 'ghp_123-abc', false],
    ['runtime', 'podman', true],
    ['runtime', 'lxc', false],
  ])('%s %j ok=%s', (key, value, ok) => {
    expect(problem(key, value) === undefined).toBe(ok);
  });

  it('answersProblem names the first bad key', () => {
    expect(answersProblem(withDefaults({}))).toBeUndefined();
    expect(answersProblem({ ...withDefaults({}), runtime: 'lxc' as never })?.[0]).toBe('runtime');
  });
});

describe('renderStarterConfig', () => {
  it.each<[string, Partial<InitAnswers>, 'user' | 'project']>([
    ['defaults', {}, 'user'],
    ['everything set', { agent: 'claude:opus', forgeKind: 'forgejo', forgeUrl: 'https://git.example.org/', org: 'acme', tokenEnv: 'GIT_TOKEN', runtime: 'apple' }, 'project'],
    ['quotes in values stay strings', { agent: 'gemini', org: 'a_b.c' }, 'user'],
  ])('%s: valid YAML the schema accepts, saying what was chosen', (_name, given, scope) => {
    const answers = withDefaults(given);
    const text = renderStarterConfig(answers, scope);
    const config = finalizeConfig(parseConfigText(text, 'starter'), 'starter');
    const key = forgeKey(answers.forgeKind, answers.forgeUrl);
    expect(config.defaults.agent).toBe(answers.agent);
    expect(config.defaults.forge).toBe(key);
    expect(config.defaults.org).toBe(answers.org === '' ? undefined : answers.org);
    expect(config.forges).toEqual({ [key]: { kind: answers.forgeKind, url: answers.forgeUrl, token_env: answers.tokenEnv } });
    expect(config.runtime.prefer).toBe(answers.runtime);
    // Commented: a person can see what else there is.
    expect(text).toContain('# timeouts:');
    expect(text).toContain('# image: localhost/agentctl-agent:latest');
  });
});

/** The starter config with every commented setting made live: `  # key: value  # why` → `  key: value`. */
function uncommented(text: string): unknown {
  const live = text
    .split('\n')
    .map((line) => line.replace(/^(\s*)# ([A-Za-z_<"][\w<>/."-]*:(?: .*?)?)(?:\s+# .*)?$/, '$1$2'))
    .join('\n');
  return parseYaml(live);
}

function hasPath(value: unknown, path: string[]): boolean {
  if (path.length === 0) return true;
  if (typeof value !== 'object' || value === null) return false;
  const [head, ...rest] = path as [string, ...string[]];
  const entries = Object.entries(value as Record<string, unknown>);
  return head === '<name>' ? entries.some(([, child]) => hasPath(child, rest)) : entries.some(([key, child]) => key === head && hasPath(child, rest));
}

describe('renderStarterConfig: every setting', () => {
  it.each<[string, Partial<InitAnswers>]>([
    ['defaults', {}],
    ['a forgejo forge and an org', { forgeKind: 'forgejo', org: 'acme' }],
  ])('%s: each setting of the schema is there, as a value or a comment saying what it does', (_name, given) => {
    const text = renderStarterConfig(withDefaults(given), 'user');
    const tree = uncommented(text);
    const missing = settingPaths().filter((path) => !hasPath(tree, path.split('.')));
    expect(missing).toEqual([]);
    for (const section of ['pools', 'concurrency', 'backoff', 'push']) expect(text).toMatch(new RegExp(`^\\s*# ${section}:`, 'm'));
    expect(text).toMatch(/^ {2}# push: false +# Commit, push and open a PR after a completed run whose QA did not fail\.$/m);
    expect(text).toMatch(/^ {2}# threshold: 3 +# Fast failures in a row that pause a pool\.$/m);
  });
});
