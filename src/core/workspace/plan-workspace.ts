import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { slotFor, workBranchFor, type Target } from '../names.js';
import type { RepoRef } from '../repo-spec.js';
import { workspaceLayout } from './layout.js';

/** What the checkout should end up on, decided before any git runs. */
export type CheckoutPlan =
  | { kind: 'new-branch'; branch: string; base: string | undefined }
  | { kind: 'branch'; branch: string; base: string | undefined }
  | { kind: 'pr'; number: number; branch: string; base: string | undefined }
  | { kind: 'tag'; tag: string };

export interface WorkspacePlan {
  repo: RepoRef;
  target: Target;
  slot: string;
  /** $AGENTCTL_HOME/workspace/<org>/<repo>/<slot> */
  root: string;
  repoDir: string;
  metaDir: string;
  /** Bare mirror the checkout is cloned from, shared by all workspaces of the repo. */
  mirrorDir: string;
  checkout: CheckoutPlan;
}

export function workspaceRoot(home: string): string {
  return join(home, 'workspace');
}

/** Mirrors are keyed by URL too, so two forges with the same org/name never share one. */
export function mirrorDirFor(home: string, repo: Pick<RepoRef, 'org' | 'name' | 'cloneUrl'>): string {
  const hash = createHash('sha256').update(repo.cloneUrl).digest('hex').slice(0, 10);
  return join(home, 'cache', 'mirrors', repo.org, `${repo.name}-${hash}.git`);
}

export function planWorkspace(home: string, repo: RepoRef, target: Target, base: string | undefined): WorkspacePlan {
  const slot = slotFor(target);
  const root = join(workspaceRoot(home), repo.org, repo.name, slot);
  let checkout: CheckoutPlan;
  switch (target.kind) {
    case 'tag':
      checkout = { kind: 'tag', tag: target.name };
      break;
    case 'pr':
      checkout = { kind: 'pr', number: target.number, branch: workBranchFor(target) as string, base };
      break;
    case 'branch':
      checkout = { kind: 'branch', branch: target.name, base };
      break;
    case 'issue':
    case 'adhoc':
      checkout = { kind: 'new-branch', branch: workBranchFor(target) as string, base };
      break;
  }
  return {
    repo,
    target,
    slot,
    root,
    repoDir: join(root, 'repo'),
    metaDir: workspaceLayout(root).meta,
    mirrorDir: mirrorDirFor(home, repo),
    checkout,
  };
}
