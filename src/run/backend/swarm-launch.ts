import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { AgentctlError, ExitCode } from '../../core/errors.js';
import { workspaceLayout } from '../../core/workspace/layout.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { courierLog, type CourierConfig } from './swarm-courier.js';

/** How long a courier may take to say its port. */
const COURIER_START_MS = 10_000;

/** Where the swarm's nodes reach this machine: runtime.swarm.callback_address, else the first non-loopback IPv4. */
export function callbackHost(configured: string | undefined): string {
  if (configured !== undefined) return configured;
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found !== undefined) return found.address;
  }
  throw new AgentctlError('swarm_callback', 'no address of this machine that the swarm could reach agentctl at was found', {
    exitCode: ExitCode.config,
    hint: 'set runtime.swarm.callback_address to an address of this machine that the swarm nodes can reach',
  });
}

export function callbackUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * A courier process started before its run is known (see warmCourier): it
 * boots (Node's start, ~50 ms) while dispatch prepares the workspace, then
 * waits for its config on stdin; one that never gets a config exits at the
 * end of stdin, that is when this process ends.
 */
let spare: ChildProcess | undefined;

function spawnCourier(): ChildProcess {
  // Its log is its own to open, once its config names the run (see swarm-courier-main.ts).
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'swarm-courier.js')], { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', () => undefined);
  // A courier that died meanwhile: its exit says so (see startCourier), not an unhandled EPIPE.
  child.stdin!.on('error', () => undefined);
  // A spare must not keep this process alive.
  child.unref();
  (child.stdin as Socket).unref();
  (child.stdout as Socket).unref();
  return child;
}

/** Start a courier process now, for the next run this process starts on the swarm. */
export function warmCourier(): void {
  spare ??= spawnCourier();
}

/**
 * Start a run's courier (see swarm-courier.ts), the spare one if this
 * process has one: its config and token go on its stdin, its port comes
 * back as its first line, its log goes to the run's host-only state.
 */
export async function startCourier(config: CourierConfig): Promise<number> {
  const dir = workspaceLayout(config.workspace).swarm;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const child = spare?.exitCode === null && spare.signalCode === null ? spare : spawnCourier();
  spare = undefined;
  (child.stdout as Socket).ref();
  child.stdin!.end(JSON.stringify(config));
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no answer within ${COURIER_START_MS / 1000} s`)), COURIER_START_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const line = out.split('\n');
        if (line.length < 2) return;
        clearTimeout(timer);
        const port = Number(line[0]);
        if (Number.isSafeInteger(port) && port > 0) resolve(port);
        else reject(new Error(`it said ${JSON.stringify(line[0]!.slice(0, 80))}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`it exited with code ${code} (its log: ${courierLog(config.workspace, config.runCount)})`));
      });
      child.on('error', reject);
    });
  } catch (error) {
    child.kill();
    throw new AgentctlError('swarm_callback', `could not start the transfer server for the swarm on ${config.bind}: ${(error as Error).message}`, {
      exitCode: ExitCode.environment,
      hint: 'set runtime.swarm.callback_address to an address of this machine that agentctl can listen on and the swarm nodes can reach',
      cause: error,
    });
  } finally {
    child.stdout!.destroy();
    child.removeAllListeners('exit');
  }
}
