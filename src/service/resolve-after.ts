import { usageError } from '../core/errors.js';
import { readStatus } from '../run/status-store.js';
import type { Deps } from '../deps.js';
import { resolveWorkspace } from './resolve-workspace.js';

/**
 * The workspaces of `dispatch --after`, as agentctl's own workspace dirs.
 * Each must hold a dispatched run (queued, running or ended): a workspace
 * only prepared by a dry run would never finish, so nothing could wait for it.
 */
export function resolveAfter(args: readonly string[], deps: Pick<Deps, 'cwd' | 'env' | 'home'>): string[] {
  const workspaces = [...new Set(args.map((arg) => resolveWorkspace(arg, deps)))];
  for (const workspace of workspaces) {
    const state = readStatus(workspace)?.state;
    if (state === undefined || state === 'prepared') {
      throw usageError('after_not_dispatched', `--after: no run was dispatched in ${workspace}`, 'wait only for a run dispatched without --dry-run; "agentctl status" lists them');
    }
  }
  return workspaces;
}
