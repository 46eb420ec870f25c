import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usageError } from '../core/errors.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { stateHome, type Deps } from '../deps.js';
import { statusPath } from '../run/status-store.js';

/** A workspace given as a path, or as org/repo/slot under $AGENTCTL_HOME/workspace. */
export function resolveWorkspace(arg: string, deps: Pick<Deps, 'cwd' | 'env' | 'home'>): string {
  const home = stateHome(deps);
  const candidates = [resolve(deps.cwd, arg), join(home, 'workspace', arg)];
  const found = candidates.find((path) => existsSync(statusPath(path)) || existsSync(workspaceLayout(path).meta));
  if (found === undefined) {
    throw usageError('unknown_workspace', `no workspace ${JSON.stringify(arg)}`, `pass a path printed by dispatch, or org/repo/slot; "agentctl status" lists them all`);
  }
  return found;
}
