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
