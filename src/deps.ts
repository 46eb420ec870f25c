import { join } from 'node:path';
import type { Config } from './core/config/schema.js';
import type { ForgeAccess } from './forge/forge-access.js';
import type { GitClient } from './git/git-client.js';
import type { RunStatus } from './core/run/status.js';
import type { AgentBackend } from './run/backend/agent-backend.js';
import type { RunContext } from './run/run-context.js';
import type { RuntimeRegistry } from './runtime/registry.js';

/**
 * What commands, dispatch and runs take from the outside world. Not part of
 * the CLI: src/dispatch and src/run use it too, and import nothing from src/cli.
 */

/** Where commands write: data to out (stdout), status and errors to err (stderr). */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: colour and live UI are allowed (unless --json or NO_COLOR). */
  isTTY: boolean;
  /** stdin is a terminal: questions may be asked. */
  stdinIsTTY: boolean;
  /** Present when stderr is a terminal: shows one line of live progress in place of the last (empty text clears it). */
  statusLine?: ((text: string) => void) | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Everything a command may touch outside its own arguments, injected so tests can supply their own. */
export interface Deps {
  io: IO;
  env: Env;
  /** The user's home directory (agent config dirs, default state dir). */
  home: string;
  cwd: string;
  clock: { now(): Date };
  random: { uuid(): string; float(): number };
  user: { uid: number; gid: number };
  platform: NodeJS.Platform;
  /** `cloneProgress`, when given, hears git's own progress while a mirror is first cloned (stage and percent). */
  git(cloneProgress?: (stage: string, percent: number) => void): Promise<GitClient>;
  runtimes(config: Config): Promise<RuntimeRegistry>;
  /** The run port's adapter for a run's runtime (see src/run/backend/agent-backend.ts). */
  agentBackend(runtime: RunStatus['runtime'], ctx: RunContext): Promise<AgentBackend>;
  forges(config: Config): ForgeAccess;
  /** Start the background supervisor for this state dir unless one is alive. */
  startSupervisor(home: string): Promise<void>;
  pid: number;
}

/** $AGENTCTL_HOME, or ~/.agentctl: every piece of state lives under it. */
export function stateHome(deps: Pick<Deps, 'env' | 'home'>): string {
  const fromEnv = deps.env.AGENTCTL_HOME;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(deps.home, '.agentctl');
}

