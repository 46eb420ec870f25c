import { BUILTIN_AGENTS } from '../agents/resolve-agent.js';
import { DEFAULT_IMAGE } from '../container/container-spec.js';
import { segmentProblem } from '../names.js';
import { renderSettings, type LiveSetting } from './commented-settings.js';

export const FORGE_KINDS = ['github', 'forgejo', 'gitea'] as const;
export type ForgeKind = (typeof FORGE_KINDS)[number];
export const RUNTIMES = ['auto', 'docker', 'podman', 'apple'] as const;
export type RuntimeChoice = (typeof RUNTIMES)[number];

export interface InitAnswers {
  agent: string;
  forgeKind: ForgeKind;
  forgeUrl: string;
  /** Empty: no default org. */
  org: string;
  tokenEnv: string;
  runtime: RuntimeChoice;
}

export type InitKey = keyof InitAnswers;

/** What the forge of each kind usually is. */
const FORGE_DEFAULTS: Record<ForgeKind, { url: string; tokenEnv: string }> = {
  github: { url: 'https://github.com', tokenEnv: 'GITHUB_TOKEN' },
  forgejo: { url: 'https://codeberg.org', tokenEnv: 'FORGEJO_TOKEN' },
  gitea: { url: 'https://gitea.com', tokenEnv: 'GITEA_TOKEN' },
};

const AGENT = new RegExp(`^(${BUILTIN_AGENTS.join('|')})(:[A-Za-z0-9][A-Za-z0-9._-]*)?$`);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InitQuestion {
  key: InitKey;
  /** Asked as "<text> [default]: ". */
  text: string;
  /** The default, given the answers so far. */
  defaultFor(so: Partial<InitAnswers>): string;
  /** Why an answer is not acceptable, or undefined. */
  problem(value: string): string | undefined;
}

/** The questions `agentctl init` asks, in order, as data. */
export const INIT_QUESTIONS: readonly InitQuestion[] = [
  {
    key: 'agent',
    text: `Default agent (${BUILTIN_AGENTS.join(', ')}; optionally :model)`,
    defaultFor: () => 'codex',
    problem: (v) => (AGENT.test(v) ? undefined : `use one of ${BUILTIN_AGENTS.join(', ')}, optionally with :model, e.g. claude:sonnet`),
  },
  {
    key: 'forgeKind',
    text: `Forge kind (${FORGE_KINDS.join(', ')})`,
    defaultFor: () => 'github',
    problem: (v) => ((FORGE_KINDS as readonly string[]).includes(v) ? undefined : `use one of ${FORGE_KINDS.join(', ')}`),
  },
  {
    key: 'forgeUrl',
    text: 'Forge URL',
    defaultFor: (so) => FORGE_DEFAULTS[so.forgeKind ?? 'github'].url,
    problem: (v) => urlProblem(v),
  },
  {
    key: 'org',
    text: 'Default org for bare repo names (empty for none)',
    defaultFor: () => '',
    problem: (v) => (v === '' ? undefined : segmentProblem(v)),
  },
  {
    key: 'tokenEnv',
    text: 'Name of the variable holding the forge token (the name, not the token)',
    defaultFor: (so) => FORGE_DEFAULTS[so.forgeKind ?? 'github'].tokenEnv,
    problem: (v) => (ENV_NAME.test(v) ? undefined : 'must be an environment variable NAME such as GITHUB_TOKEN, not a value'),
  },
  {
    key: 'runtime',
    text: `Container runtime (${RUNTIMES.join(', ')})`,
    defaultFor: () => 'auto',
    problem: (v) => ((RUNTIMES as readonly string[]).includes(v) ? undefined : `use one of ${RUNTIMES.join(', ')}`),
  },
];

function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL; use e.g. https://github.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'use an http(s):// URL';
  if (url.username !== '' || url.password !== '') return 'do not put credentials in the URL; the token goes in the variable named below';
  return undefined;
}

/** A config key for the forge: "github" for github.com, else the first label of the host ("codeberg"). */
export function forgeKey(kind: ForgeKind, url: string): string {
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return kind;
  }
  if (host === 'github.com') return 'github';
  const label = host.replace(/^www\./, '').split('.')[0] ?? '';
  return /^[a-z0-9][a-z0-9_-]*$/.test(label) && !/^\d+$/.test(label) ? label : kind;
}

/** Fill what was not given with each question's default, in order (later defaults may depend on earlier answers). */
export function withDefaults(given: Partial<InitAnswers>): InitAnswers {
  const answers: Partial<InitAnswers> = {};
  for (const question of INIT_QUESTIONS) {
    const value = given[question.key] ?? question.defaultFor(answers);
    (answers as Record<string, string>)[question.key] = value;
  }
  return answers as InitAnswers;
}

/** The first problem with a set of answers, as [key, why], or undefined. */
export function answersProblem(answers: InitAnswers): [InitKey, string] | undefined {
  for (const question of INIT_QUESTIONS) {
    const problem = question.problem(answers[question.key]);
    if (problem !== undefined) return [question.key, problem];
  }
  return undefined;
}

const yamlString = (value: string) => JSON.stringify(value);

/** What a commented setting without a default shows, so that uncommenting it gives a working line. */
const EXAMPLES: Record<string, string> = {
  'defaults.org': 'acme',
  'defaults.base': 'main',
  'defaults.persona': 'senior-engineer',
  'forges.<name>.org': 'acme',
  'forges.<name>.timeout': '10',
  'agents.<name>.command': '[mybot, --prompt-file, "{prompt_file}"]',
  'agents.<name>.stdin': 'false',
  'agents.<name>.model': 'gpt-5',
  'agents.<name>.args': '[]',
  'agents.<name>.env': '[MYBOT_API_KEY]',
  'agents.<name>.host': 'false',
  'agents.<name>.native': 'false',
  'agents.<name>.limits.pids': '1024',
  'agents.<name>.limits.memory': '2g',
  'agents.<name>.limits.cpus': '1',
  'agents.<name>.network': 'none',
  'agents.<name>.pool': 'mybot',
  'agents.<name>.timeout': '1800',
  'agents.<name>.image': DEFAULT_IMAGE,
  'pools.<name>.limit': '2',
  'pools.<name>.agents': '[codex]',
  'concurrency.global': '4',
  'runtime.docker_host': 'unix:///var/run/docker.sock',
  'runtime.podman_host': 'unix:///run/podman/podman.sock',
  'runtime.image': DEFAULT_IMAGE,
  'qa.commands': '["npm ci", "npm test"]',
  'repos.<name>.forge': 'github',
  'repos.<name>.base': 'develop',
  'repos.<name>.qa': '["npm ci", "npm test"]',
  'repos.<name>.copy': '[.env.example, { from: ~/secrets/web.env, to: .env }]',
  'repos.<name>.setup': '"npm ci"',
};

const ENTRY_NAMES: Record<string, string> = { forges: 'codeberg', agents: 'mybot', pools: 'codex', repos: 'acme/web' };

/**
 * A commented starter config: what the answers set is live, and every other
 * setting of the schema is there as a comment with its default or an
 * example and what it does.
 */
export function renderStarterConfig(answers: InitAnswers, scope: 'user' | 'project'): string {
  const key = forgeKey(answers.forgeKind, answers.forgeUrl);
  const live = new Map<string, LiveSetting>([
    ['defaults.agent', { value: yamlString(answers.agent) }],
    ['defaults.forge', { value: key }],
    [`forges.${key}.kind`, { value: answers.forgeKind }],
    [`forges.${key}.url`, { value: yamlString(answers.forgeUrl) }],
    [`forges.${key}.token_env`, { value: answers.tokenEnv, note: `export ${answers.tokenEnv}=<token>; the token itself is never written here` }],
    ['runtime.prefer', { value: answers.runtime }],
  ]);
  if (answers.org !== '') live.set('defaults.org', { value: yamlString(answers.org) });
  const examples = { ...EXAMPLES, [`forges.<name>.api_url`]: answers.forgeKind === 'github' ? 'https://api.github.com' : `${answers.forgeUrl.replace(/\/$/, '')}/api/v1` };
  const lines = [
    `# agentctl configuration (${scope === 'user' ? 'user file' : 'project file, next to the code it is about'}), written by "agentctl init".`,
    '# Later layers win: built-in defaults < user file < project .agentctl.yaml < --config FILE',
    '# < AGENTCTL_* variables < flags. "agentctl config show" prints the merged result,',
    '# "agentctl doctor" checks the machine. Secrets never go here: token_env names a variable.',
    '# Every setting is listed; the commented ones show their default (or an example).',
    '',
    ...renderSettings({ live, examples, entryNames: ENTRY_NAMES }),
    '',
  ];
  return lines.join('\n');
}
