/**
 * The one error type agentctl raises on purpose. Only `main` prints it and
 * turns it into an exit code; everything else throws and lets it travel.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  environment: 4,
  git: 5,
  forge: 6,
  runFailed: 10,
  runBlocked: 11,
  qaFailed: 12,
  runCancelled: 13,
  runPending: 14,
  changesRequested: 15,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What each exit code means to a script that runs agentctl: docs/reference/exit-codes.md is made from this. */
export const EXIT_CODE_MEANINGS: Readonly<Record<keyof typeof ExitCode, string>> = {
  ok: 'success; for `--wait`: the run completed, QA passed or was skipped',
  failure: 'unexpected error (run again with `--debug` for the stack trace)',
  usage: 'bad input: flags, names, an unknown agent, template or persona, a workspace already running',
  config: 'invalid configuration',
  environment: 'environment: no container engine, a missing image, Node too old, a `doctor` check failed',
  git: 'git: a clone or fetch failed, a branch, tag or PR that does not exist',
  forge: 'forge API error',
  runFailed: '`--wait`: the run failed (non-zero exit, killed, abandoned)',
  runBlocked: '`--wait`: the run is blocked on a question',
  qaFailed: '`--wait`: the agent completed but QA failed',
  runCancelled: '`--wait`: the run was cancelled',
  runPending: '`--wait-timeout` passed before the run ended (the run goes on)',
  changesRequested: '`--wait`: a review asked for changes (`VERDICT: request-changes`)',
};

export interface AgentctlErrorOptions {
  exitCode?: number;
  hint?: string;
  cause?: unknown;
}

export class AgentctlError extends Error {
  readonly code: string;
  readonly exitCode: number;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: AgentctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentctlError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
  }
}

export function usageError(code: string, message: string, hint?: string): AgentctlError {
  return new AgentctlError(code, message, { exitCode: ExitCode.usage, hint });
}

export function isAgentctlError(error: unknown): error is AgentctlError {
  return error instanceof AgentctlError;
}
