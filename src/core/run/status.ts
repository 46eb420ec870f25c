/** The persisted state of one workspace's run, written atomically to .meta/status.json. */
export type RunState = 'prepared' | 'queued' | 'running' | 'completed' | 'failed' | 'blocked' | 'cancelled';

export type QaState = 'passed' | 'failed' | 'skipped';

export interface QaResult {
  state: QaState;
  /** The command that failed, when QA failed. */
  failedCommand?: string | undefined;
  commands: string[];
  log: string;
  reason?: string | undefined;
}

export interface RunStatus {
  version: 1;
  state: RunState;
  workspace: string;
  repo: string;
  agent: string;
  pool: string;
  runtime: 'docker' | 'podman' | 'apple' | 'host';
  image?: string | undefined;
  containerId?: string | undefined;
  pid?: number | undefined;
  sessionId?: string | undefined;
  runCount: number;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  exitCode?: number | undefined;
  /** Why the run ended as it did, in words a person can act on. */
  reason?: string | undefined;
  /** The agent's question, for a blocked run. */
  question?: string | undefined;
  qa?: QaResult | undefined;
  /** Who dispatched the run: the workspace is handed back to them when it ends. */
  owner?: { uid: number; gid: number } | undefined;
  warnings: string[];
}

export const TERMINAL_STATES: readonly RunState[] = ['completed', 'failed', 'blocked', 'cancelled'];

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.includes(state);
}
