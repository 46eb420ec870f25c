import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Deps } from '../deps.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { processIO } from './io.js';

export { stateHome, type Deps, type Env } from '../deps.js';

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
    git: async (cloneProgress) => {
      const { SimpleGitClient } = await import('../git/simple-git-client.js');
      return new SimpleGitClient(env, cloneProgress);
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
    agentBackend: async (runtime, ctx) => (await import('../run/backend/choose-backend.js')).chooseBackend(runtime, ctx),
    runtimes: async (config) => {
      const { realRegistry } = await import('../runtime/real-registry.js');
      return realRegistry(config, env, proc.platform, { uid: proc.getuid?.() ?? 1000 });
    },
  };
}
