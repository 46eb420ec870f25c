import { spawn } from 'node:child_process';
import { isZombie, processAlive } from '../fs/process-alive.js';
import type { Env } from './runtime.js';

export interface HostStart {
  argv: string[];
  cwd: string;
  /** Variable names passed through from our environment. */
  passEnv: string[];
  /** Fixed, non-secret values. */
  fixedEnv: Record<string, string>;
}

/** Host agents (an explicit opt-in): detached host processes, whose wrapper writes the exit code to a file. */
export interface HostRunner {
  start(spec: HostStart, env: Env): Promise<{ pid: number }>;
  /** Whether the process still runs (one that exited but was never reaped counts as ended). */
  alive(pid: number): boolean;
  /** SIGTERM to its process group, then SIGKILL after `graceSeconds`. */
  stop(pid: number, graceSeconds: number): Promise<void>;
}

/** A process that has exited but was never reaped (its parent, us, is gone) counts as ended. */
function alive(pid: number): boolean {
  return processAlive(pid) && !isZombie(pid);
}

export class SpawnHostRunner implements HostRunner {
  async start(spec: HostStart, env: Env): Promise<{ pid: number }> {
    const childEnv: Record<string, string> = { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: env.HOME ?? '/', ...spec.fixedEnv };
    for (const name of spec.passEnv) {
      const value = env[name];
      if (value !== undefined) childEnv[name] = value;
    }
    const [file, ...args] = spec.argv as [string, ...string[]];
    // Node's spawn, not execa: the agent must outlive us, so it is detached
    // into its own process group and unref'd, with nothing of ours to await.
    const child = spawn(file, args, { cwd: spec.cwd, env: childEnv, detached: true, stdio: 'ignore' });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid as number));
      child.once('error', reject);
    });
    child.unref();
    return { pid };
  }

  alive(pid: number): boolean {
    return alive(pid);
  }

  async stop(pid: number, graceSeconds: number): Promise<void> {
    // -1 and -0 would be every process we may signal, and our own group: never an agent's.
    if (!Number.isSafeInteger(pid) || pid <= 1) throw new Error(`refusing to stop pid ${pid}: not an agent's process group`);
    const signal = (sig: NodeJS.Signals) => {
      try {
        // The wrapper leads its own process group (detached), so the agent's children go too.
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + graceSeconds * 1000;
    while (Date.now() < deadline && alive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(pid)) signal('SIGKILL');
  }
}
