import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { usageError } from '../core/errors.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { stateHome, type Deps } from '../deps.js';

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Where `path` is as one of agentctl's workspaces: exactly
 * $AGENTCTL_HOME/workspace/<org>/<repo>/<slot>, reached without a link.
 * Anything deeper is inside a workspace, where an agent or a repository
 * could have planted control files of its own: never a workspace.
 */
function asWorkspace(path: string, root: string | undefined, home: string): string | undefined {
  const at = real(path);
  if (root === undefined || at === undefined) return undefined;
  const rel = relative(root, at);
  const parts = rel.split(sep);
  if (rel === '' || isAbsolute(rel) || parts.length !== 3 || parts.some((part) => part === '..' || part === '')) return undefined;
  const workspace = join(home, 'workspace', ...parts);
  return real(workspace) === at && existsSync(workspaceLayout(workspace).meta) ? workspace : undefined;
}

/** A workspace given as a path, or as org/repo/slot under $AGENTCTL_HOME/workspace. */
export function resolveWorkspace(arg: string, deps: Pick<Deps, 'cwd' | 'env' | 'home'>): string {
  const home = stateHome(deps);
  const root = real(join(home, 'workspace'));
  for (const candidate of [resolve(deps.cwd, arg), join(home, 'workspace', arg)]) {
    const workspace = asWorkspace(candidate, root, home);
    if (workspace !== undefined) return workspace;
  }
  throw usageError('unknown_workspace', `no workspace ${JSON.stringify(arg)}`, `pass a path printed by dispatch, or org/repo/slot; "agentctl status" lists them all`);
}
