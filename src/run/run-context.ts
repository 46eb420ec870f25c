import type { Config } from '../core/config/schema.js';
import type { ForgeAccess } from '../forge/forge-access.js';
import type { GitClient } from '../git/git-client.js';
import type { RuntimeRegistry } from '../runtime/registry.js';
import type { Env } from '../runtime/runtime.js';
import type { AgentBackends } from './backend/agent-backend.js';

/** What starting and finishing runs needs from the outside world. */
export interface RunContext {
  config: Config;
  /** The engines, for what is not a run's agent (QA containers, image facts, doctor). */
  runtimes: RuntimeRegistry;
  /** The run port: what runs, watches, stops and reads back a run's agent, by the run's runtime. */
  backend: AgentBackends;
  forges: ForgeAccess;
  git: GitClient;
  env: Env;
  home: string;
  clock: { now(): Date };
  user: { uid: number; gid: number };
  /** This process, as recorded in claims. */
  pid: number;
  /** Status lines for a person (stderr). */
  notify(line: string): void;
  /** Make sure a background supervisor is alive to drain the queue and finish runs. */
  ensureSupervisor(): Promise<void>;
}
