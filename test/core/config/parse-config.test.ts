import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfigText } from '../../../src/core/config/parse-config.js';
import { finalizeConfig, mergeRaw, type RawConfig } from '../../../src/core/config/validate-config.js';
import { CONFIG_EXAMPLES, configSchema } from '../../../src/core/config/schema.js';
import { ExitCode } from '../../../src/core/errors.js';
import { thrown } from '../thrown.js';

const SRC = '/home/me/.config/agentctl/config.yaml';

const VALID = `# agentctl config
defaults:
  agent: claude
  org: acme
  forge: github
forges:
  github:
    kind: github
    url: https://github.com
    token_env: GITHUB_TOKEN
  codeberg:
    kind: forgejo
    url: https://codeberg.org
    token_env: FORGEJO_TOKEN
agents:
  claude:
    model: sonnet
  mybot:
    command: [mybot, --prompt-file, "{prompt_file}"]
    env: [MYBOT_API_KEY]
pools:
  cloud:
    limit: 2
    agents: [claude, codex]
runtime:
  prefer: podman
  gpu: true
timeouts:
  agent: 1800
repos:
  acme/web:
    base: develop
    qa: ["npm ci", "npm test"]
    copy: [.env.example, { from: .env.ci, to: .env }]
`;

const WATCH_HINT = `a valid example:\n${CONFIG_EXAMPLES.watch?.replace(/^/gm, '  ')}`;

function configErrorOf(text: string) {
  return thrown(() => parseConfigText(text, SRC));
}

describe('parseConfigText: valid files', () => {
  it('returns the raw, undefaulted mapping', () => {
    expect(parseConfigText(VALID, SRC)).toStrictEqual({
      defaults: { agent: 'claude', org: 'acme', forge: 'github' },
      forges: {
        github: { kind: 'github', url: 'https://github.com', token_env: 'GITHUB_TOKEN' },
        codeberg: { kind: 'forgejo', url: 'https://codeberg.org', token_env: 'FORGEJO_TOKEN' },
      },
      agents: {
        claude: { model: 'sonnet' },
        mybot: { command: ['mybot', '--prompt-file', '{prompt_file}'], env: ['MYBOT_API_KEY'] },
      },
      pools: { cloud: { limit: 2, agents: ['claude', 'codex'] } },
      runtime: { prefer: 'podman', gpu: true },
      timeouts: { agent: 1800 },
      repos: { 'acme/web': { base: 'develop', qa: ['npm ci', 'npm test'], copy: ['.env.example', { from: '.env.ci', to: '.env' }] } },
    });
  });

  it.each([[''], ['# only a comment\n'], ['---\n']])('%j is an empty config', (text) => {
    expect(parseConfigText(text, SRC)).toStrictEqual({});
  });
});

const RUNTIME_HINT = 'a valid example:\n  runtime:\n    prefer: podman\n    image: localhost/agentctl-agent:latest\n    gpu: false\n    network: bridge\n    limits:\n      pids: 2048\n      memory: 4g\n      cpus: 2';
const AGENTS_HINT = `a valid example:\n${CONFIG_EXAMPLES.agents!.replace(/^/gm, '  ')}`;

describe('parseConfigText: errors', () => {
  const FORGES_HINT =
    'a valid example:\n  forges:\n    github:\n      kind: github\n      url: https://github.com\n      token_env: GITHUB_TOKEN\n' +
    '    codeberg:\n      kind: forgejo\n      url: https://codeberg.org\n      token_env: FORGEJO_TOKEN';
  const DEFAULTS_HINT = 'a valid example:\n  defaults:\n    agent: codex\n    org: acme\n    forge: github';
  const GENERIC_HINT = 'fix the file; docs/reference/config.md lists every setting';

  it.each<[string, string, string]>([
    ['defaults:\n  agent: codex\n  agnet: claude\n', 'line 3: defaults.agnet: unknown setting "agnet"', DEFAULTS_HINT],
    ['defaults:\n  agent: codex\n\nfoo: 1\n', 'line 4: foo: unknown setting "foo"', GENERIC_HINT],
    [
      'defaults:\n  agent: codex\nforges:\n  x:\n    kind: gitlab\n    url: https://gitlab.com\n',
      'line 5: forges.x.kind: Invalid option: expected one of "github"|"forgejo"|"gitea"',
      FORGES_HINT,
    ],
    [
      'forges:\n  x:\n    kind: github\n    url: https://github.com\n    token_env: ghp_abc-123\n',
      'line 5: forges.x.token_env: must be an environment variable NAME such as GITHUB_TOKEN, not a value',
      FORGES_HINT,
    ],
    [
      'forges:\n  x:\n    kind: github\n    url: https://github.com\n    tokn_env: GITHUB_TOKEN\n',
      'line 5: forges.x.tokn_env: unknown setting "tokn_env"',
      FORGES_HINT,
    ],
    [
      'defaults:\n  agent: codex\ntimeouts:\n  agent: 60\n  grace: -1\n',
      'line 5: timeouts.grace: Too small: expected number to be >=0',
      'a valid example:\n  timeouts:\n    agent: 3600\n    grace: 5',
    ],
    ['timeouts:\n  qa: 0\n', 'line 2: timeouts.qa: Too small: expected number to be >0', 'a valid example:\n  timeouts:\n    agent: 3600\n    grace: 5'],
    ['timeouts:\n  qa: 9999999\n', 'line 2: timeouts.qa: Too big: expected number to be <=86400', 'a valid example:\n  timeouts:\n    agent: 3600\n    grace: 5'],
    [
      'runtime:\n  prefer: kubernetes\n',
      'line 2: runtime.prefer: Invalid option: expected one of "auto"|"docker"|"podman"|"apple"|"swarm"',
      RUNTIME_HINT,
    ],
    [
      'runtime:\n  native_agents: [claude]\n',
      'line 2: runtime.native_agents: unknown setting "native_agents" (removed: every agent runs in a container; put "host: true" under agents.<name> to run one on the host)',
      RUNTIME_HINT,
    ],
    ['runtime:\n  network: host\n', 'line 2: runtime.network: Invalid option: expected one of "bridge"|"none"', RUNTIME_HINT],
    ['runtime:\n  limits:\n    memory: 4 GB\n', 'line 3: runtime.limits.memory: must be a size such as "4g", "512m" or "1048576" (bytes)', RUNTIME_HINT],
    ['runtime:\n  limits:\n    memory: 1m\n', 'line 3: runtime.limits.memory: must be at least "64m"', RUNTIME_HINT],
    ['runtime:\n  limits:\n    pids: 10\n', 'line 3: runtime.limits.pids: Too small: expected number to be >=64', RUNTIME_HINT],
    ['runtime:\n  limits:\n    cpus: 0\n', 'line 3: runtime.limits.cpus: Too small: expected number to be >0', RUNTIME_HINT],
    ['agents:\n  codex:\n    network: off\n', 'line 3: agents.codex.network: Invalid option: expected one of "bridge"|"none"', AGENTS_HINT],
    ['agents:\n  codex:\n    limits:\n      pid: 100\n', 'line 4: agents.codex.limits.pid: unknown setting "pid"', AGENTS_HINT],
    ['pools:\n  codex:\n    limit: 0\n', 'line 3: pools.codex.limit: Too small: expected number to be >0', 'a valid example:\n  pools:\n    codex:\n      limit: 2'],
    [
      'watch:\n  routes:\n    - forge: github\n      repos: [acme]\n',
      'line 4: watch.routes[0].repos[0]: must be owner/name, e.g. acme/web',
      WATCH_HINT,
    ],
    [
      'watch:\n  routes:\n    - forge: github\n      repos: [acme/web]\n      on: issue\n',
      'line 5: watch.routes[0].on: Invalid option: expected one of "issues"|"pull_request"',
      WATCH_HINT,
    ],
    [
      'watch:\n  routes:\n    - forge: github\n      repos: [acme/web]\n      poll_seconds: 0\n',
      'line 5: watch.routes[0].poll_seconds: Too small: expected number to be >=1',
      WATCH_HINT,
    ],
    [
      'watch:\n  routes:\n    - forge: github\n      repos: [acme/web]\n      lable: x\n',
      'line 5: watch.routes[0].lable: unknown setting "lable"',
      WATCH_HINT,
    ],
    ['watch:\n  routes:\n    - repos: [acme/web]\n', 'line 3: watch.routes[0].forge: is required: the key of a forge under forges:', WATCH_HINT],
    ['watch:\n  routes:\n    - forge: github\n', 'line 3: watch.routes[0].repos: is required: a list of owner/name', WATCH_HINT],
    ['hello\n', 'line 1: the top level must be a mapping of settings', DEFAULTS_HINT],
    ['- defaults\n- agents\n', 'line 1: the top level must be a mapping of settings', DEFAULTS_HINT],
  ])('%j', (text, where, hint) => {
    const error = configErrorOf(text);
    expect(error.code).toBe('invalid_config');
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(`invalid config ${SRC}, ${where}`);
    expect(error.hint).toBe(hint);
  });

  it('reports the line of a secret-looking value in an agent env list', () => {
    const text = 'agents:\n  mybot:\n    command: [mybot]\n    env:\n      - MYBOT_KEY\n      - sk-live-123\n';
    expect(configErrorOf(text).message).toBe(
      `invalid config ${SRC}, line 6: agents.mybot.env[1]: must be an environment variable NAME such as GITHUB_TOKEN, not a value`,
    );
  });

  const REPOS_HINT = `a valid example:\n${CONFIG_EXAMPLES.repos!.replace(/^/gm, '  ')}`;
  it.each<[string, string]>([
    [
      'repos:\n  acme/web:\n    copy:\n      - .env\n      - /etc/passwd\n',
      'line 5: repos.acme/web.copy[1]: "/etc/passwd" is an absolute path, and a plain entry is copied to the same path inside the checkout; name a file of the checkout such as .env, or copy from elsewhere with { from: /etc/passwd, to: <path in the checkout> }',
    ],
    [
      'repos:\n  acme/web:\n    copy:\n      - ../secrets.env\n',
      'line 4: repos.acme/web.copy[0]: "../secrets.env" leaves the checkout; it must be a relative path inside it, such as .env',
    ],
    [
      'repos:\n  acme/web:\n    copy:\n      - { from: .env.example, to: ../../escape }\n',
      'line 4: repos.acme/web.copy[0].to: "../../escape" leaves the checkout; it must be a relative path inside it, such as .env',
    ],
    [
      'repos:\n  acme/web:\n    copy:\n      - { from: .env.example, to: /etc/cron.d/x }\n',
      'line 4: repos.acme/web.copy[0].to: "/etc/cron.d/x" is an absolute path; it must be a relative path inside the checkout, such as .env',
    ],
    [
      'repos:\n  acme/web:\n    copy:\n      - { from: ../up.env, to: .env }\n',
      'line 4: repos.acme/web.copy[0].from: "../up.env" leaves the checkout; it must be a relative path inside it, such as .env, or an absolute or ~/ path on this machine',
    ],
    [
      'repos:\n  acme/web:\n    copy:\n      - 3\n',
      'line 4: repos.acme/web.copy[0]: must be a path such as .env, or { from: <path>, to: <path in the checkout> }',
    ],
    ['repos:\n  acme/web:\n    qa: [npm test, 1]\n', 'line 3: repos.acme/web.qa[1]: Invalid input: expected string, received number'],
    ['repos:\n  acme/web.js:\n    bass: main\n', 'line 3: repos["acme/web.js"].bass: unknown setting "bass"'],
  ])('names the real field: %j', (text, where) => {
    const error = configErrorOf(text);
    expect(error.message).toBe(`invalid config ${SRC}, ${where}`);
    expect(error.hint).toBe(REPOS_HINT);
  });

  it.each([
    ['defaults:\n  agent: codex\n  org: [acme\n', 'not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['defaults:\n  agent: codex\n  agent: claude\n', 'not valid YAML: Map keys must be unique'],
    ['x: 1\n\ty: 2\n', 'not valid YAML: Tabs are not allowed as indentation'],
  ])('bad YAML %j is a config error', (text, what) => {
    const error = configErrorOf(text);
    expect(error.code).toBe('invalid_config');
    expect(error.exitCode).toBe(3);
    expect(error.message.startsWith(`invalid config ${SRC}`)).toBe(true);
    expect(error.message.endsWith(`: ${what}`)).toBe(true);
    expect(error.hint).toBe('fix the file; docs/reference/config.md lists every setting');
  });

  it.each(Object.keys(CONFIG_EXAMPLES).map((section) => [section]))('the %s example in hints is itself a valid config', (section) => {
    const example = CONFIG_EXAMPLES[section] as string;
    expect(parseYaml(example)).toHaveProperty(section);
    expect(() => parseConfigText(example, 'example')).not.toThrow();
    // And it is shown indented, as the hint prints it.
    const indented = example.replace(/^/gm, '  ');
    expect(indented.split('\n').every((line) => line.startsWith('  '))).toBe(true);
  });
});

describe('mergeRaw', () => {
  it.each<[string, RawConfig[], RawConfig]>([
    ['no layers', [], {}],
    ['one layer', [{ defaults: { agent: 'claude' } }], { defaults: { agent: 'claude' } }],
    [
      'later scalars win, nested maps merge',
      [{ defaults: { agent: 'codex', org: 'acme' } }, { defaults: { agent: 'claude' } }],
      { defaults: { agent: 'claude', org: 'acme' } },
    ],
    [
      'deep maps merge key by key',
      [
        { forges: { github: { kind: 'github', url: 'https://github.com', token_env: 'GITHUB_TOKEN' } } },
        { forges: { github: { token_env: 'GH_TOKEN' }, codeberg: { kind: 'forgejo', url: 'https://codeberg.org' } } },
      ],
      {
        forges: {
          github: { kind: 'github', url: 'https://github.com', token_env: 'GH_TOKEN' },
          codeberg: { kind: 'forgejo', url: 'https://codeberg.org' },
        },
      },
    ],
    [
      'arrays replace, never concatenate',
      [{ qa: { commands: ['npm ci', 'npm test'] }, runtime: { gpu: true } }, { qa: { commands: ['make'] } }],
      { qa: { commands: ['make'] }, runtime: { gpu: true } },
    ],
    [
      'an empty array replaces too',
      [{ qa: { commands: ['npm test'] } }, { qa: { commands: [] } }],
      { qa: { commands: [] } },
    ],
    [
      'three layers apply in order',
      [{ timeouts: { agent: 100, grace: 1 } }, { timeouts: { agent: 200 } }, { timeouts: { agent: 300, idle: 9 } }],
      { timeouts: { agent: 300, grace: 1, idle: 9 } },
    ],
    ['a map replaces a scalar', [{ defaults: 'oops' }, { defaults: { agent: 'codex' } }], { defaults: { agent: 'codex' } }],
    ['a scalar replaces a map', [{ defaults: { agent: 'codex' } }, { defaults: 'oops' }], { defaults: 'oops' }],
  ])('%s', (_name, layers, expected) => {
    expect(mergeRaw(layers)).toStrictEqual(expected);
  });

  it('does not modify its inputs', () => {
    const a = { defaults: { agent: 'codex', org: 'acme' } };
    const b = { defaults: { agent: 'claude' } };
    mergeRaw([a, b]);
    expect(a).toStrictEqual({ defaults: { agent: 'codex', org: 'acme' } });
    expect(b).toStrictEqual({ defaults: { agent: 'claude' } });
  });
});

describe('finalizeConfig', () => {
  it('fills every default', () => {
    expect(finalizeConfig({}, 'defaults')).toStrictEqual({
      defaults: { agent: 'codex', template: 'coding', push: false },
      forges: { github: { kind: 'github', url: 'https://github.com', token_env: 'GITHUB_TOKEN' } },
      agents: {},
      pools: {},
      concurrency: { default_limit: 1 },
      runtime: { prefer: 'auto', gpu: false, limits: { pids: 2048, memory: '4g', cpus: 2 }, network: 'bridge', ssh: {}, swarm: {} },
      timeouts: { agent: 3600, grace: 5, idle: 0, qa: 1800, transfer: 600 },
      qa: { enabled: true },
      backoff: { fast_fail_seconds: 60, threshold: 3, pause_minutes: 30 },
      usage_limits: { max_wait_minutes: 1440, backoff_seconds: 60, max_backoff_minutes: 60, max_requeues: 10 },
      git: { name: 'agentctl', email: 'agentctl@localhost' },
      repos: {},
      mcp: { token_env: 'AGENTCTL_MCP_TOKEN' },
      watch: { routes: [] },
    });
  });

  it('matches configSchema.parse({})', () => {
    expect(finalizeConfig({}, 'defaults')).toStrictEqual(configSchema.parse({}));
  });

  it('keeps given values and defaults the rest of a section', () => {
    const config = finalizeConfig(
      mergeRaw([parseConfigText('timeouts:\n  agent: 60\n', 'a'), parseConfigText('backoff:\n  threshold: 5\n', 'b')]),
      'merged',
    );
    expect(config.timeouts).toStrictEqual({ agent: 60, grace: 5, idle: 0, qa: 1800, transfer: 600 });
    expect(config.backoff).toStrictEqual({ fast_fail_seconds: 60, threshold: 5, pause_minutes: 30 });
    expect(config.defaults.agent).toBe('codex');
  });

  it.each<[RawConfig, string, string]>([
    [
      { timeouts: { agent: 'soon' } },
      'invalid config AGENTCTL_TIMEOUT: timeouts.agent: Invalid input: expected number, received string',
      'a valid example:\n  timeouts:\n    agent: 3600\n    grace: 5',
    ],
    [
      { runtime: { gpu: 'maybe' } },
      'invalid config AGENTCTL_TIMEOUT: runtime.gpu: Invalid input: expected boolean, received string',
      RUNTIME_HINT,
    ],
  ])('%j fails without a line number', (raw, message, hint) => {
    const error = thrown(() => finalizeConfig(raw, 'AGENTCTL_TIMEOUT'));
    expect(error.code).toBe('invalid_config');
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
  });
});
