import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import type { Config } from '../core/config/schema.js';
import type { GitClient } from '../git/git-client.js';
import type { ForgeAccess } from '../forge/forge-access.js';
import type { RuntimeRegistry } from '../runtime/registry.js';
import { processIO, type IO } from './io.js';

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
  git(): Promise<GitClient>;
  runtimes(config: Config): Promise<RuntimeRegistry>;
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

export function realDeps(proc: NodeJS.Process): Deps {
  const env = { ...proc.env };
  return {
    io: processIO(proc),
    env,
    home: homedir(),
    cwd: proc.cwd(),
    clock: { now: () => new Date() },
    random: { uuid: () => randomUUID(), float: () => Math.random() },
    user: { uid: proc.getuid?.() ?? 1000, gid: proc.getgid?.() ?? 1000 },
    platform: proc.platform,
    git: async () => {
      const { SimpleGitClient } = await import('../git/simple-git-client.js');
      return new SimpleGitClient(env);
    },
    pid: proc.pid,
    startSupervisor: async (home) => {
      const { spawnSupervisor } = await import('../run/supervisor.js');
      spawnSupervisor(home, env, join(PACKAGE_ROOT, 'bin', 'agentctl'));
    },
    forges: (config) => ({
      forRepo: async (repo) => (await import('../forge/create-forge.js')).forgeForRepo(config, repo, env),
      byKey: async (key) => (await import('../forge/create-forge.js')).createForge(config, key, env),
    }),
    runtimes: async (config) => {
      const { realRegistry } = await import('../runtime/real-registry.js');
      return realRegistry(config, env, proc.platform, { uid: proc.getuid?.() ?? 1000 });
    },
  };
}
