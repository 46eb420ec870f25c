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
