import type { Env } from '../runtime/runtime.js';

export type FaultPoint = 'after-queued' | 'after-start' | 'during-finish' | 'after-chain-queued';

/**
 * Crash-safety tests kill agentctl at chosen points with
 * AGENTCTL_FAULT=<point>: a real SIGKILL, so nothing runs after it.
 */
export function crashPoint(point: FaultPoint, env: Env): void {
  if (env.AGENTCTL_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
