import { rmSync } from 'node:fs';
import { CONTAINER_PATHS, outboxFiles, workspaceLayout } from '../core/workspace/layout.js';

/**
 * Files of a run as its wrapper writes them: the log and exit code in the
 * outbox, the prompt in the inbox, a host agent's pid in .meta. `inside`
 * gives the paths the container sees.
 */
export function runFiles(workspace: string, agentBase: string, inside: boolean) {
  const layout = workspaceLayout(workspace);
  const outbox = outboxFiles(inside ? CONTAINER_PATHS.outbox : layout.outbox, agentBase);
  return {
    log: outbox.log,
    prompt: inside ? CONTAINER_PATHS.prompt : layout.prompt,
    exitCode: outbox.exitCode,
    review: outbox.review,
    pid: layout.pid,
    qaLog: outbox.qaLog,
    qaFailed: outbox.qaFailed,
  };
}

export function blockedFile(workspace: string): string {
  return `${workspaceLayout(workspace).repo}/BLOCKED.md`;
}

/**
 * A question, exit code, review or pid left by an earlier run must not
 * decide the next one: they go when its slot is claimed, before any process
 * can look for this run's own. (rm of a planted link removes the link.)
 */
export function clearRunLeftovers(workspace: string): void {
  const files = runFiles(workspace, '', false);
  for (const stale of [blockedFile(workspace), files.exitCode, `${files.exitCode}.tmp`, files.review, files.qaLog, files.qaFailed, files.pid]) {
    rmSync(stale, { force: true, recursive: true });
  }
}
