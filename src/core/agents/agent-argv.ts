import { usageError } from '../errors.js';
import type { ResolvedAgent } from './resolve-agent.js';

/** A single argv element may not exceed 128 KiB on Linux (MAX_ARG_STRLEN); stay well below. */
export const MAX_PROMPT_ARG_BYTES = 100 * 1024;

/** Devstral 24B, by the name Ollama gives it. */
export const DEFAULT_LOCAL_MODEL = 'devstral:24b';

export const SANDBOX_NOTE =
  'You run non-interactively inside an agentctl sandbox: the repository is at /workspace/repo, no human is watching, ' +
  'and credentials other than your own API key are not available. Do not push. If you cannot proceed, write your ' +
  'question to BLOCKED.md at the repository root and stop.';

/** Environment variables each built-in agent reads, passed through by name when set. */
export const AGENT_ENV: Record<string, readonly string[]> = {
  claude: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN'],
  codex: ['CODEX_API_KEY', 'OPENAI_API_KEY'],
  gemini: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GEMINI_BASE_URL'],
  coderabbit: ['CODERABBIT_API_KEY'],
  local: ['CODEX_OSS_BASE_URL', 'CODEX_OSS_PORT'],
};

export interface AgentCommandInput {
  agent: ResolvedAgent;
  prompt: string;
  /** Where the saved prompt file is, as the agent will see it. */
  promptPath: string;
  base: string;
  sessionId?: string | undefined;
  maxBudgetUsd?: number | undefined;
}

export interface AgentCommand {
  /** Program and arguments; never joined into a shell string. */
  argv: string[];
  /** Text to write to the agent's standard input, if any. */
  stdin: string | undefined;
  /** How the prompt reaches the agent. */
  promptVia: 'argument' | 'stdin' | 'file' | 'none';
  /** Environment variable names the agent may read. */
  env: string[];
  sessionId: string | undefined;
  /** The agent stops itself at --max-budget-usd; otherwise agentctl watches the reported cost. */
  enforcesBudget: boolean;
}

function tooLargeForArgument(prompt: string): boolean {
  return Buffer.byteLength(prompt, 'utf8') > MAX_PROMPT_ARG_BYTES;
}

function claudeCommand(input: AgentCommandInput, model: string | undefined): AgentCommand {
  const viaStdin = tooLargeForArgument(input.prompt);
  const argv = ['claude', '-p'];
  if (!viaStdin) argv.push(input.prompt);
  argv.push('--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--append-system-prompt', SANDBOX_NOTE);
  if (model !== undefined) argv.push('--model', model);
  if (input.sessionId !== undefined) argv.push('--session-id', input.sessionId);
  if (input.maxBudgetUsd !== undefined) argv.push('--max-budget-usd', String(input.maxBudgetUsd));
  return { argv, stdin: viaStdin ? input.prompt : undefined, promptVia: viaStdin ? 'stdin' : 'argument', env: [], sessionId: input.sessionId, enforcesBudget: true };
}

function codexExec(input: AgentCommandInput, leading: string[], model: string | undefined): AgentCommand {
  const viaStdin = tooLargeForArgument(input.prompt);
  // --json: JSONL events, which agentctl turns into progress, usage and results.
  const argv = ['codex', 'exec', '--json', ...leading];
  if (model !== undefined) argv.push('--model', model);
  // "-" makes codex read the prompt from stdin; "--" keeps a prompt starting with "-" from being an option.
  argv.push(...(viaStdin ? ['-'] : ['--', input.prompt]));
  return { argv, stdin: viaStdin ? input.prompt : undefined, promptVia: viaStdin ? 'stdin' : 'argument', env: [], sessionId: undefined, enforcesBudget: false };
}

/**
 * codex's own reviewer reads the diff against the base and changes nothing;
 * it takes no free-form prompt with --base. Its final message (the review)
 * is saved next to the prompt, for posting as a PR comment.
 */
function codexReview(input: AgentCommandInput, model: string | undefined): AgentCommand {
  const argv = ['codex', 'exec', 'review', '--json', '--base', input.base, '--output-last-message', reviewPathFor(input.promptPath)];
  if (model !== undefined) argv.push('--model', model);
  return { argv, stdin: undefined, promptVia: 'none', env: [], sessionId: undefined, enforcesBudget: false };
}

/** The review goes to the outbox, next to the (read-only) inbox that holds the prompt. */
export function reviewPathFor(promptPath: string): string {
  return promptPath.replace(/inbox\/prompt\.md$/, 'outbox/review.md');
}

function geminiCommand(input: AgentCommandInput, model: string | undefined): AgentCommand {
  const viaStdin = tooLargeForArgument(input.prompt);
  // gemini appends -p to whatever arrives on stdin, so a large prompt goes there with a short pointer.
  // --skip-trust: gemini otherwise refuses a folder it has not been told to trust (exit 55) and drops --yolo.
  const argv = ['gemini', '-p', viaStdin ? 'Follow the instructions given on standard input.' : input.prompt, '--yolo', '--skip-trust', '--output-format', 'stream-json'];
  if (model !== undefined) argv.push('-m', model.startsWith('gemini-') ? model : `gemini-2.5-${model}`);
  return { argv, stdin: viaStdin ? input.prompt : undefined, promptVia: viaStdin ? 'stdin' : 'argument', env: [], sessionId: undefined, enforcesBudget: false };
}

function customCommand(input: AgentCommandInput): AgentCommand {
  const template = input.agent.settings.command as string[];
  const usesPromptArg = template.some((arg) => arg.includes('{prompt}'));
  if (usesPromptArg && tooLargeForArgument(input.prompt)) {
    throw usageError(
      'prompt_too_large_for_argv',
      `the prompt (${Buffer.byteLength(input.prompt, 'utf8')} bytes) is too large for agent "${input.agent.base}"'s command line`,
      `use "{prompt_file}" instead of "{prompt}" in agents.${input.agent.base}.command, or set stdin: true`,
    );
  }
  const model = input.agent.variant ?? input.agent.settings.model ?? '';
  // Replacement functions, not strings: "$&" and friends in a prompt must stay literal.
  const argv = template.map((arg) =>
    arg
      .replaceAll('{prompt_file}', () => input.promptPath)
      .replaceAll('{model}', () => model)
      .replaceAll('{prompt}', () => input.prompt),
  );
  const viaStdin = input.agent.settings.stdin === true;
  const promptVia = usesPromptArg ? 'argument' : template.some((a) => a.includes('{prompt_file}')) ? 'file' : viaStdin ? 'stdin' : 'none';
  return { argv, stdin: viaStdin ? input.prompt : undefined, promptVia, env: [], sessionId: undefined, enforcesBudget: false };
}

/** The command line for an agent run: pure data, identical in dry-run and for real. */
export function buildAgentCommand(input: AgentCommandInput): AgentCommand {
  const { agent } = input;
  const model = agent.variant ?? agent.settings.model;
  let command: AgentCommand;
  switch (agent.builtin) {
    case 'claude':
      command = claudeCommand(input, model);
      break;
    case 'codex':
      command = agent.variant === 'review' ? codexReview(input, agent.settings.model) : codexExec(input, ['--dangerously-bypass-approvals-and-sandbox'], model);
      break;
    case 'gemini':
      command = geminiCommand(input, model);
      break;
    case 'coderabbit': {
      const argv = ['coderabbit', 'review', '--plain', '--base', input.base];
      if (agent.variant !== undefined) argv.push('--type', agent.variant);
      command = { argv, stdin: undefined, promptVia: 'none', env: [], sessionId: undefined, enforcesBudget: false };
      break;
    }
    case 'local':
      command = codexExec(
        input,
        ['--oss', '--local-provider', 'ollama', '--dangerously-bypass-approvals-and-sandbox'],
        agent.variant ?? agent.settings.model ?? DEFAULT_LOCAL_MODEL,
      );
      break;
    case undefined:
      command = customCommand(input);
      break;
  }
  if (agent.builtin !== undefined && agent.settings.args !== undefined) {
    // Extra args go before a trailing "--"/prompt so they stay options.
    const dashdash = command.argv.indexOf('--');
    if (dashdash >= 0) command.argv.splice(dashdash, 0, ...agent.settings.args);
    else command.argv.push(...agent.settings.args);
  }
  const env = [...(agent.builtin === undefined ? [] : (AGENT_ENV[agent.builtin] ?? [])), ...(agent.settings.env ?? [])];
  return { ...command, env: [...new Set(env)] };
}

/**
 * Continue a claude session: the same flags as a fresh run, with the new
 * task as the prompt and --resume instead of a new --session-id.
 */
export function claudeResumeArgv(previous: readonly string[], sessionId: string, task: string): string[] {
  const modelAt = previous.indexOf('--model');
  const argv = ['claude', '-p', task, '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions', '--append-system-prompt', SANDBOX_NOTE];
  if (modelAt >= 0 && previous[modelAt + 1] !== undefined) argv.push('--model', previous[modelAt + 1] as string);
  argv.push('--resume', sessionId);
  const budgetAt = previous.indexOf('--max-budget-usd');
  if (budgetAt >= 0 && previous[budgetAt + 1] !== undefined) argv.push('--max-budget-usd', previous[budgetAt + 1] as string);
  return argv;
}
