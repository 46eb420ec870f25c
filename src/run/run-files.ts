import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_MOUNT } from '../core/container/container-spec.js';

/** Files of a run inside .meta, as seen on the host and (for containers) inside the container. */
export function runFiles(workspace: string, agentBase: string, inside: boolean) {
  const meta = inside ? `${WORKSPACE_MOUNT}/.meta` : join(workspace, '.meta');
  return {
    log: `${meta}/agent-${agentBase}.log`,
    prompt: `${meta}/prompt.md`,
    exitCode: `${meta}/exit-code`,
    pid: `${meta}/pid`,
    qaLog: `${meta}/qa.log`,
    qaFailed: `${meta}/qa-failed-command`,
  };
}

export function blockedFile(workspace: string): string {
  return join(workspace, 'repo', 'BLOCKED.md');
}

/**
 * A question, exit code or pid left by an earlier run must not decide the
 * next one: they go when its slot is claimed, before any process can look
 * for this run's own.
 */
export function clearRunLeftovers(workspace: string): void {
  const files = runFiles(workspace, '', false);
  for (const stale of [blockedFile(workspace), files.exitCode, files.qaFailed, files.pid]) rmSync(stale, { force: true });
}
