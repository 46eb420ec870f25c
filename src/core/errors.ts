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
