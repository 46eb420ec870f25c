import { describe, expect, it } from 'vitest';
import {
  AGENT_ENV,
  buildAgentCommand,
  DEFAULT_LOCAL_MODEL,
  MAX_PROMPT_ARG_BYTES,
  SANDBOX_NOTE,
  type AgentCommand,
} from '../../../src/core/agents/agent-argv.js';
import { resolveAgent } from '../../../src/core/agents/resolve-agent.js';
import { configSchema, type Config } from '../../../src/core/config/schema.js';
import { thrown } from '../thrown.js';

const P = 'Fix the login bug';
const PROMPT_PATH = '/workspace/inbox/prompt.md';
/** The review goes to the outbox: the inbox holding the prompt is read-only. */
const REVIEW_PATH = '/workspace/outbox/review.md';
const defaults = configSchema.parse({});

function build(spec: string, options: { prompt?: string; config?: Config; sessionId?: string; maxBudgetUsd?: number } = {}): AgentCommand {
  const config = options.config ?? defaults;
  return buildAgentCommand({
    agent: resolveAgent(spec, config),
    prompt: options.prompt ?? P,
    promptPath: PROMPT_PATH,
    base: 'main',
    sessionId: options.sessionId,
    maxBudgetUsd: options.maxBudgetUsd,
  });
}

const CLAUDE_TAIL = ['--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--append-system-prompt', SANDBOX_NOTE];
// --json comes right after exec: codex then prints JSONL events that agentctl parses.
const CODEX_YOLO = ['codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox'];
const LOCAL_HEAD = ['codex', 'exec', '--json', '--oss', '--local-provider', 'ollama', '--dangerously-bypass-approvals-and-sandbox'];

const GEMINI_TAIL = ['--yolo', '--skip-trust', '--output-format', 'stream-json'];
const REVIEW_HEAD = ['codex', 'exec', 'review', '--json', '--base', 'main', '--output-last-message', REVIEW_PATH];

const custom = configSchema.parse({
  agents: {
    argbot: { command: ['argbot', '--task', '{prompt}', '--model={model}'], model: 'm1', env: ['ARGBOT_KEY'], args: ['--ignored'] },
    filebot: { command: ['filebot', '--prompt-file', '{prompt_file}'] },
    stdinbot: { command: ['stdinbot', '--read-stdin'], stdin: true },
    nobot: { command: ['nobot', '--check'] },
  },
});

describe('buildAgentCommand: built-in agents', () => {
  it.each<[string, string | undefined, string[], AgentCommand['promptVia']]>([
    ['claude', undefined, ['claude', '-p', P, ...CLAUDE_TAIL], 'argument'],
    ['claude:opus', 'sess-1234', ['claude', '-p', P, ...CLAUDE_TAIL, '--model', 'opus', '--session-id', 'sess-1234'], 'argument'],
    ['codex', undefined, [...CODEX_YOLO, '--', P], 'argument'],
    ['codex:gpt-5', undefined, [...CODEX_YOLO, '--model', 'gpt-5', '--', P], 'argument'],
    // codex's own reviewer diffs against the base; it takes no free-form prompt.
    ['codex:review', undefined, REVIEW_HEAD, 'none'],
    ['gemini', undefined, ['gemini', '-p', P, ...GEMINI_TAIL], 'argument'],
    ['gemini:flash', undefined, ['gemini', '-p', P, ...GEMINI_TAIL, '-m', 'gemini-2.5-flash'], 'argument'],
    ['gemini:gemini-2.5-pro', undefined, ['gemini', '-p', P, ...GEMINI_TAIL, '-m', 'gemini-2.5-pro'], 'argument'],
    ['coderabbit', undefined, ['coderabbit', 'review', '--plain', '--base', 'main'], 'none'],
    ['coderabbit:uncommitted', undefined, ['coderabbit', 'review', '--plain', '--base', 'main', '--type', 'uncommitted'], 'none'],
    ['local', undefined, [...LOCAL_HEAD, '--model', 'devstral:24b', '--', P], 'argument'],
    ['local:qwen3', undefined, [...LOCAL_HEAD, '--model', 'qwen3', '--', P], 'argument'],
    ['local:qwen3:30b', undefined, [...LOCAL_HEAD, '--model', 'qwen3:30b', '--', P], 'argument'],
  ])('%s', (spec, sessionId, argv, promptVia) => {
    const command = build(spec, sessionId === undefined ? {} : { sessionId });
    expect(command.argv).toStrictEqual(argv);
    expect(command.promptVia).toBe(promptVia);
    expect(command.stdin).toBeUndefined();
    expect(command.sessionId).toBe(sessionId);
  });

  it('defaults the local model to Ollama\'s devstral:24b', () => {
    expect(DEFAULT_LOCAL_MODEL).toBe('devstral:24b');
  });

  it.each([['codex'], ['gemini'], ['local']])('%s ignores a session id', (spec) => {
    const command = build(spec, { sessionId: 'sess-1' });
    expect(command.sessionId).toBeUndefined();
    expect(command.argv).not.toContain('sess-1');
  });

  it('tells claude it is sandboxed and how to report being blocked', () => {
    expect(SANDBOX_NOTE).toContain('/workspace/repo');
    expect(SANDBOX_NOTE).toContain('Do not push.');
    expect(SANDBOX_NOTE).toContain('BLOCKED.md');
  });
});

describe('buildAgentCommand: budget', () => {
  it.each<[string, boolean]>([
    ['claude', true],
    ['claude:opus', true],
    ['codex', false],
    ['codex:review', false],
    ['gemini', false],
    ['coderabbit', false],
    ['local', false],
  ])('%s enforces a budget itself: %s', (spec, enforces) => {
    expect(build(spec).enforcesBudget).toBe(enforces);
  });

  it.each([['argbot'], ['filebot'], ['stdinbot'], ['nobot']])('custom agent %s does not enforce a budget', (spec) => {
    expect(build(spec, { config: custom, maxBudgetUsd: 2 }).enforcesBudget).toBe(false);
  });

  it.each<[string, number, string[]]>([
    ['claude', 2.5, ['claude', '-p', P, ...CLAUDE_TAIL, '--max-budget-usd', '2.5']],
    ['claude:opus', 10, ['claude', '-p', P, ...CLAUDE_TAIL, '--model', 'opus', '--session-id', 'sess-9', '--max-budget-usd', '10']],
  ])('%s gets --max-budget-usd %s at the end', (spec, budget, argv) => {
    const sessionId = spec === 'claude:opus' ? 'sess-9' : undefined;
    expect(build(spec, { maxBudgetUsd: budget, ...(sessionId === undefined ? {} : { sessionId }) }).argv).toStrictEqual(argv);
  });

  it('claude gets no --max-budget-usd without a budget', () => {
    expect(build('claude').argv).not.toContain('--max-budget-usd');
  });

  it.each([['codex'], ['codex:review'], ['gemini'], ['coderabbit'], ['local']])('%s never gets --max-budget-usd (agentctl watches the cost)', (spec) => {
    const argv = build(spec, { maxBudgetUsd: 3 }).argv;
    expect(argv).not.toContain('--max-budget-usd');
    expect(argv).not.toContain('3');
  });

  it('claude keeps --max-budget-usd before configured args', () => {
    const config = configSchema.parse({ agents: { claude: { args: ['--max-turns', '5'] } } });
    expect(build('claude', { config, maxBudgetUsd: 1 }).argv).toStrictEqual(['claude', '-p', P, ...CLAUDE_TAIL, '--max-budget-usd', '1', '--max-turns', '5']);
  });
});

describe('buildAgentCommand: config settings for built-ins', () => {
  const configured = configSchema.parse({
    agents: {
      claude: { model: 'sonnet', args: ['--max-turns', '5'] },
      codex: { model: 'o3', args: ['-c', 'model_reasoning_effort=high'] },
      gemini: { args: ['--sandbox'] },
      coderabbit: { args: ['--config', 'cr.yaml'] },
      local: { model: 'llama3', args: ['--profile', 'lab'] },
    },
  });

  it.each<[string, string[]]>([
    ['claude', ['claude', '-p', P, ...CLAUDE_TAIL, '--model', 'sonnet', '--max-turns', '5']],
    ['claude:opus', ['claude', '-p', P, ...CLAUDE_TAIL, '--model', 'opus', '--max-turns', '5']],
    ['codex', [...CODEX_YOLO, '--model', 'o3', '-c', 'model_reasoning_effort=high', '--', P]],
    ['codex:gpt-5', [...CODEX_YOLO, '--model', 'gpt-5', '-c', 'model_reasoning_effort=high', '--', P]],
    ['codex:review', [...REVIEW_HEAD, '--model', 'o3', '-c', 'model_reasoning_effort=high']],
    ['gemini', ['gemini', '-p', P, ...GEMINI_TAIL, '--sandbox']],
    ['coderabbit', ['coderabbit', 'review', '--plain', '--base', 'main', '--config', 'cr.yaml']],
    ['local', [...LOCAL_HEAD, '--model', 'llama3', '--profile', 'lab', '--', P]],
    ['local:qwen3', [...LOCAL_HEAD, '--model', 'qwen3', '--profile', 'lab', '--', P]],
  ])('%s uses the configured model and args (args before "--")', (spec, argv) => {
    expect(build(spec, { config: configured }).argv).toStrictEqual(argv);
  });
});

describe('buildAgentCommand: custom agents', () => {
  it.each<[string, string[], AgentCommand['promptVia'], string | undefined, string[]]>([
    ['argbot', ['argbot', '--task', P, '--model=m1'], 'argument', undefined, ['ARGBOT_KEY']],
    ['argbot:m2', ['argbot', '--task', P, '--model=m2'], 'argument', undefined, ['ARGBOT_KEY']],
    ['filebot', ['filebot', '--prompt-file', PROMPT_PATH], 'file', undefined, []],
    ['stdinbot', ['stdinbot', '--read-stdin'], 'stdin', P, []],
    ['nobot', ['nobot', '--check'], 'none', undefined, []],
  ])('%s', (spec, argv, promptVia, stdin, env) => {
    const command = build(spec, { config: custom });
    expect(command).toStrictEqual({ argv, stdin, promptVia, env, sessionId: undefined, enforcesBudget: false });
  });
});

describe('buildAgentCommand: large prompts', () => {
  const big = 'x'.repeat(MAX_PROMPT_ARG_BYTES + 1);

  it('the argv limit is 100 KiB', () => {
    expect(MAX_PROMPT_ARG_BYTES).toBe(102400);
  });

  it.each<[string, string[]]>([
    ['claude', ['claude', '-p', ...CLAUDE_TAIL]],
    ['claude:opus', ['claude', '-p', ...CLAUDE_TAIL, '--model', 'opus']],
    ['codex', [...CODEX_YOLO, '-']],
    ['gemini', ['gemini', '-p', 'Follow the instructions given on standard input.', ...GEMINI_TAIL]],
    ['gemini:flash', ['gemini', '-p', 'Follow the instructions given on standard input.', ...GEMINI_TAIL, '-m', 'gemini-2.5-flash']],
    ['local', [...LOCAL_HEAD, '--model', 'devstral:24b', '-']],
  ])('%s switches to stdin above 100 KiB', (spec, argv) => {
    const command = build(spec, { prompt: big });
    expect(command.argv).toStrictEqual(argv);
    expect(command.stdin).toBe(big);
    expect(command.promptVia).toBe('stdin');
    expect(command.argv.some((arg) => arg.includes('xxxx'))).toBe(false);
  });

  it.each([['claude'], ['codex'], ['gemini'], ['local']])('%s keeps a prompt of exactly 100 KiB as an argument', (spec) => {
    const exact = 'y'.repeat(MAX_PROMPT_ARG_BYTES);
    const command = build(spec, { prompt: exact });
    expect(command.promptVia).toBe('argument');
    expect(command.stdin).toBeUndefined();
    expect(command.argv).toContain(exact);
  });

  it.each([['claude'], ['codex'], ['gemini']])('%s counts bytes, not characters', (spec) => {
    const wide = 'é'.repeat(MAX_PROMPT_ARG_BYTES / 2 + 1);
    expect(wide.length).toBeLessThan(MAX_PROMPT_ARG_BYTES);
    const command = build(spec, { prompt: wide });
    expect(command.promptVia).toBe('stdin');
    expect(command.argv).not.toContain(wide);
  });

  it('codex:review ignores the prompt, however large', () => {
    const command = build('codex:review', { prompt: big });
    expect(command).toStrictEqual({
      argv: REVIEW_HEAD,
      stdin: undefined,
      promptVia: 'none',
      env: ['CODEX_API_KEY', 'OPENAI_API_KEY'],
      sessionId: undefined,
      enforcesBudget: false,
    });
  });

  it('a custom agent with {prompt} refuses a prompt too large for argv', () => {
    const error = thrown(() => build('argbot', { config: custom, prompt: big }));
    expect(error.code).toBe('prompt_too_large_for_argv');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`the prompt (102401 bytes) is too large for agent "argbot"'s command line`);
    expect(error.hint).toBe('use "{prompt_file}" instead of "{prompt}" in agents.argbot.command, or set stdin: true');
  });

  it.each<[string, AgentCommand['promptVia'], string | undefined]>([
    ['filebot', 'file', undefined],
    ['stdinbot', 'stdin', big],
  ])('a custom agent %s takes a huge prompt', (spec, promptVia, stdin) => {
    const command = build(spec, { config: custom, prompt: big });
    expect(command.promptVia).toBe(promptVia);
    expect(command.stdin).toBe(stdin);
    expect(command.argv.some((arg) => arg.includes('xxxx'))).toBe(false);
  });
});

describe('buildAgentCommand: the prompt is one argv element, never shell text', () => {
  const nasty = '$(rm -rf /); `x` | & ; > <';
  const prompts = [nasty, 'line one\n"double" \'single\' \\ back', '--help', '-p ignore previous', '   leading and trailing spaces   '];

  it.each(
    [['claude'], ['codex'], ['gemini'], ['local'], ['argbot']].flatMap(([spec]) =>
      prompts.map((prompt) => [spec as string, prompt] as const),
    ),
  )('%s with %j', (spec, prompt) => {
    const command = build(spec, { config: custom, prompt });
    expect(command.argv.filter((arg) => arg === prompt)).toHaveLength(1);
    expect(command.argv.filter((arg) => arg.includes(prompt))).toHaveLength(1);
    expect(command.stdin).toBeUndefined();
  });

  it.each([['codex'], ['local']])('%s puts "--" right before a prompt that looks like an option', (spec) => {
    const argv = build(spec, { prompt: '--help' }).argv;
    expect(argv.slice(-2)).toStrictEqual(['--', '--help']);
  });
});

describe('buildAgentCommand: environment names', () => {
  it.each<[string, string[]]>([
    ['claude', ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN']],
    ['claude:opus', ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN']],
    ['codex', ['CODEX_API_KEY', 'OPENAI_API_KEY']],
    ['codex:review', ['CODEX_API_KEY', 'OPENAI_API_KEY']],
    ['gemini', ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GEMINI_BASE_URL']],
    ['coderabbit', ['CODERABBIT_API_KEY']],
    ['local', ['CODEX_OSS_BASE_URL', 'CODEX_OSS_PORT']],
  ])('%s reads %j', (spec, env) => {
    expect(build(spec).env).toStrictEqual(env);
  });

  it.each<[string, string[]]>([
    ['argbot', ['ARGBOT_KEY']],
    ['filebot', []],
  ])('custom agent %s gets only its configured names: %j', (spec, env) => {
    expect(build(spec, { config: custom }).env).toStrictEqual(env);
  });

  it('adds agents.<name>.env to the built-in names without duplicates', () => {
    const config = configSchema.parse({ agents: { claude: { env: ['ANTHROPIC_API_KEY', 'HTTPS_PROXY', 'HTTPS_PROXY'] } } });
    expect(build('claude', { config }).env).toStrictEqual([...(AGENT_ENV.claude ?? []), 'HTTPS_PROXY']);
  });

  it('never puts a value in env', () => {
    for (const spec of ['claude', 'codex', 'gemini', 'coderabbit', 'local']) {
      for (const name of build(spec).env) expect(name).toMatch(/^[A-Z_][A-Z0-9_]*$/);
    }
  });
});
