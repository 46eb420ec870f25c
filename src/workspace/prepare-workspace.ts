import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { describeTarget, type Target } from '../core/names.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import type { WorkspacePlan } from '../core/workspace/plan-workspace.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import type { GitClient } from '../git/git-client.js';
import { withFileLock } from '../fs/file-lock.js';
import { copyIndexFile } from '../git/index-file.js';

export interface WorkspaceRecord {
  repo: string;
  cloneUrl: string;
  target: Target;
  branch: string | undefined;
  base: string | undefined;
  commit: string;
  createdAt: string;
}

export interface PreparedWorkspace {
  plan: WorkspacePlan;
  record: WorkspaceRecord;
  reused: boolean;
  mirrorCreated: boolean;
  /** The origin a reused workspace had until now, when the same repository was reached through another URL. */
  movedFrom?: string | undefined;
}

function sameTarget(a: Target, b: Target): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The record of the workspace at `root`: agentctl's own, never mounted into a container. */
export function readWorkspaceRecord(root: string): WorkspaceRecord | undefined {
  try {
    return JSON.parse(readFileSync(workspaceLayout(root).record, 'utf8')) as WorkspaceRecord;
  } catch {
    return undefined;
  }
}

interface Start {
  commit: string;
  branch: string | undefined;
  base: string | undefined;
  /** The mirror's default branch when it was looked up: a local clone already has it as a branch. */
  mirrorDefault: string | undefined;
}

async function resolveStart(git: GitClient, plan: WorkspacePlan): Promise<Start> {
  const mirror = plan.mirrorDir;
  const { checkout } = plan;
  const notFound = async (what: string, prefix: string, hint: string): Promise<never> => {
    const known = await git.listRefs(mirror, prefix);
    throw new AgentctlError('ref_not_found', `${what} not found in ${plan.repo.slug}`, {
      exitCode: ExitCode.git,
      hint: known.length > 0 ? `${hint}; some that exist: ${known.join(', ')}` : hint,
    });
  };
  if (checkout.kind === 'tag') {
    const commit = (await git.resolveCommit(mirror, `refs/tags/${checkout.tag}`)) ?? (await notFound(`tag ${checkout.tag}`, 'refs/tags/', 'check the tag name'));
    return { commit, branch: undefined, base: undefined, mirrorDefault: undefined };
  }
  const head = checkout.base === undefined ? await git.defaultBranch(mirror) : undefined;
  if (checkout.kind === 'pr') {
    const commit =
      (await git.resolveCommit(mirror, `refs/pull/${checkout.number}/head`)) ??
      (await notFound(`pull request #${checkout.number} (refs/pull/${checkout.number}/head)`, 'refs/pull/', 'check the PR number'));
    return { commit, branch: checkout.branch, base: checkout.base ?? head?.name, mirrorDefault: head?.name };
  }
  const base = checkout.base ?? head?.name;
  if (base === undefined) {
    throw new AgentctlError('empty_repo', `${plan.repo.slug} has no default branch (is it empty?)`, {
      exitCode: ExitCode.git,
      hint: 'push an initial commit, or set repos.<org/name>.base in the config',
    });
  }
  if (checkout.kind === 'branch') {
    const existing = await git.resolveCommit(mirror, `refs/heads/${checkout.branch}`);
    if (existing !== undefined) return { commit: existing, branch: checkout.branch, base, mirrorDefault: head?.name };
  }
  const commit =
    (base === head?.name ? head.commit : undefined) ??
    (await git.resolveCommit(mirror, `refs/heads/${base}`)) ??
    (await notFound(`base branch ${base}`, 'refs/heads/', 'set the base with repos.<org/name>.base in the config'));
  return { commit, branch: checkout.branch, base, mirrorDefault: head?.name };
}

/** Wait for every step, then fail with the first error: no git process may still be writing when the caller cleans up. */
async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** The start as the mirror has it now, or undefined when the mirror lacks a ref it needs (a fetch may bring it). */
async function startIfKnown(git: GitClient, plan: WorkspacePlan): Promise<Start | undefined> {
  try {
    return await resolveStart(git, plan);
  } catch (error) {
    if (error instanceof AgentctlError && (error.code === 'ref_not_found' || error.code === 'empty_repo')) return undefined;
    throw error;
  }
}

/** Check out the start in a fresh clone. These touch different files (work tree, index and HEAD; another branch), so they run at once. */
function checkoutSteps(git: GitClient, repoDir: string, start: Start): Promise<void>[] {
  const steps = [git.checkout(repoDir, start.commit, start.branch)];
  // Review tools diff against the base by name, so it must exist as a local branch. The clone already has the mirror's default one.
  if (start.base !== undefined && start.base !== start.branch && start.base !== start.mirrorDefault) {
    steps.push(git.ensureBranch(repoDir, start.base, `origin/${start.base}`));
  }
  return steps;
}

async function checkoutFetched(git: GitClient, repoDir: string, start: Start): Promise<Start> {
  await settleAll(checkoutSteps(git, repoDir, start));
  return start;
}

/** Refs a clone needs from the mirror to reach the start, beyond its branches and tags. */
function extraRefspecs(plan: WorkspacePlan): string[] {
  const { checkout } = plan;
  return checkout.kind === 'pr' ? [`+refs/pull/${checkout.number}/head:refs/remotes/origin/pull/${checkout.number}`] : [];
}

/** Bring a clone made before a fetch (checked out at `before`, or not at all) up to the start the fetched mirror has now. */
async function catchUp(git: GitClient, plan: WorkspacePlan, repoDir: string, start: Start, before: Start | undefined): Promise<void> {
  await git.refreshFromMirror(repoDir, plan.mirrorDir, extraRefspecs(plan));
  // First, so HEAD has left any branch that is reset below.
  if (start.commit !== before?.commit) await git.checkout(repoDir, start.commit, start.branch);
  const steps: Promise<void>[] = [];
  // The clone's local default and base branches were made before the fetch.
  for (const branch of new Set([before?.mirrorDefault, start.mirrorDefault, start.base])) {
    if (branch !== undefined && branch !== start.branch) steps.push(git.resetBranch(repoDir, branch, `refs/remotes/origin/${branch}`));
  }
  await settleAll(steps);
}

/**
 * When the mirror already has the target, the clone made from it is checked
 * out while the mirror is fetched: if nothing came in (the usual case) the
 * fetch costs no time, and if something did, the clone catches up from the
 * mirror and moves to the new start.
 */
async function checkoutWhileFetching(git: GitClient, plan: WorkspacePlan, repoDir: string, early: Start): Promise<Start> {
  const fetched = withFileLock(plan.mirrorDir, () => git.syncMirror(plan.repo.cloneUrl, plan.mirrorDir));
  await settleAll([...checkoutSteps(git, repoDir, early), fetched]);
  if (!(await fetched).changed) return early;
  const start = await resolveStart(git, plan);
  await catchUp(git, plan, repoDir, start, early);
  return start;
}

/** Fetch (or first clone) the mirror and look the start up in it, under the mirror's lock. */
function syncThenResolve(git: GitClient, plan: WorkspacePlan): Promise<{ created: boolean; start: Start }> {
  return withFileLock(plan.mirrorDir, async () => {
    const sync = await git.syncMirror(plan.repo.cloneUrl, plan.mirrorDir);
    return { created: sync.created, start: await resolveStart(git, plan) };
  });
}

/** The mirror lacked a ref the target needs: fetch it, then bring the clone made from the old mirror up to date. */
async function fetchThenCatchUp(git: GitClient, plan: WorkspacePlan, repoDir: string): Promise<Start> {
  const { start } = await syncThenResolve(git, plan);
  await catchUp(git, plan, repoDir, start, undefined);
  return start;
}

/**
 * Clone the mirror without its lock, which only fetches take. A fetch that
 * brings new packs while the clone links the mirror's files can make the
 * clone fail; then it is made again while no fetch runs.
 */
async function cloneBesideFetches(git: GitClient, plan: WorkspacePlan, repoDir: string): Promise<void> {
  try {
    await git.cloneLocal(plan.mirrorDir, repoDir, plan.repo.cloneUrl);
  } catch {
    rmSync(repoDir, { recursive: true, force: true });
    await withFileLock(plan.mirrorDir, () => git.cloneLocal(plan.mirrorDir, repoDir, plan.repo.cloneUrl));
  }
}

/**
 * A workspace's repository reached through another URL (ssh and https, a
 * renamed forge host) is the same repository when the new origin has the
 * commit the workspace started from; the origin's mirror, which collecting
 * the work borrows objects from, is brought up to date on the way. Returns
 * whether that mirror was made just now.
 */
async function assertSameRepository(git: GitClient, plan: WorkspacePlan, existing: WorkspaceRecord): Promise<boolean> {
  const sync = await withFileLock(plan.mirrorDir, () => git.syncMirror(plan.repo.cloneUrl, plan.mirrorDir));
  if ((await git.resolveCommit(plan.mirrorDir, existing.commit)) === undefined) {
    throw new AgentctlError('workspace_conflict', `workspace ${plan.root} already exists for another repository`, {
      exitCode: ExitCode.usage,
      hint: `it was made from ${existing.cloneUrl} for ${existing.repo} ${describeTarget(existing.target)}, and ${plan.repo.cloneUrl} does not have its start commit ${existing.commit}; remove it or pick another target`,
    });
  }
  return sync.created;
}

/**
 * The outbox and inbox the agent's container mounts. A workspace made by an
 * older agentctl (which mounted the whole workspace) gets them on reuse.
 */
function makeMountPoints(root: string): void {
  const layout = workspaceLayout(root);
  mkdirSync(layout.outbox, { recursive: true });
  mkdirSync(layout.inbox, { recursive: true });
}

/**
 * Make the workspace for a plan. The checkout is built in a temporary
 * directory next to its final place and renamed into place at the end, so a
 * failure or a crash never leaves a half-made workspace under the real name.
 */
export async function prepareWorkspace(
  git: GitClient,
  plan: WorkspacePlan,
  now: Date,
  /** Last steps inside the workspace; `fresh` is false when an existing one is reused. */
  finish?: (root: string, fresh: boolean) => Promise<void>,
): Promise<PreparedWorkspace> {
  const existing = existsSync(plan.root) ? readWorkspaceRecord(plan.root) : undefined;
  if (existsSync(plan.root)) {
    if (existing === undefined || existing.repo !== plan.repo.slug || !sameTarget(existing.target, plan.target)) {
      throw new AgentctlError('workspace_conflict', `workspace ${plan.root} already exists for something else`, {
        exitCode: ExitCode.usage,
        hint: existing === undefined ? 'remove it, or run agentctl gc' : `it belongs to ${existing.repo} ${describeTarget(existing.target)}; remove it or pick another target`,
      });
    }
    const moved = existing.cloneUrl !== plan.repo.cloneUrl;
    const mirrorCreated = moved ? await assertSameRepository(git, plan, existing) : false;
    makeMountPoints(plan.root);
    if (finish !== undefined) await finish(plan.root, false);
    if (!moved) return { plan, record: existing, reused: true, mirrorCreated };
    // agentctl's own record moves to the new origin: pushes go there, and the work is collected against its mirror.
    const record = { ...existing, cloneUrl: plan.repo.cloneUrl };
    writeJsonAtomic(workspaceLayout(plan.root).record, record);
    return { plan, record, reused: true, mirrorCreated, movedFrom: existing.cloneUrl };
  }

  const madeParent = mkdirSync(dirname(plan.root), { recursive: true });
  const tmpRoot = `${plan.root}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const tmp = workspaceLayout(tmpRoot);
  const tmpRepo = tmp.repo;
  let mirrorCreated = false;
  try {
    mkdirSync(tmp.meta, { recursive: true });
    makeMountPoints(tmpRoot);
    let start: Start;
    if (existsSync(plan.mirrorDir)) {
      // Both only read the mirror, so the clone does not wait for the start to be looked up.
      const cloned = cloneBesideFetches(git, plan, tmpRepo);
      const early = startIfKnown(git, plan);
      await settleAll([cloned, early]);
      const known = await early;
      start = known !== undefined ? await checkoutWhileFetching(git, plan, tmpRepo, known) : await fetchThenCatchUp(git, plan, tmpRepo);
    } else {
      const first = await syncThenResolve(git, plan);
      mirrorCreated = first.created;
      await cloneBesideFetches(git, plan, tmpRepo);
      start = await checkoutFetched(git, tmpRepo, first.start);
    }
    // The index of the checkout as we made it: collecting the agent's work later starts from it, with no git process.
    copyIndexFile(join(tmpRepo, '.git', 'index'), workspaceLayout(tmpRoot).startIndex);
    const record: WorkspaceRecord = {
      repo: plan.repo.slug,
      cloneUrl: plan.repo.cloneUrl,
      target: plan.target,
      branch: start.branch,
      base: start.base,
      commit: start.commit,
      createdAt: now.toISOString(),
    };
    writeJsonAtomic(tmp.record, record);
    if (finish !== undefined) await finish(tmpRoot, true);
    try {
      renameSync(tmpRoot, plan.root);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Another dispatch made the same workspace first: use theirs.
      rmSync(tmpRoot, { recursive: true, force: true });
      return prepareWorkspace(git, plan, now, finish);
    }
    return { plan, record, reused: false, mirrorCreated };
  } catch (error) {
    rmSync(tmpRoot, { recursive: true, force: true });
    if (madeParent !== undefined) removeEmptyUpTo(dirname(plan.root), dirname(madeParent));
    throw error;
  }
}

/**
 * A refused dispatch leaves no trace: the directories made for its workspace
 * go too, up to the first one made. One another dispatch has put its own
 * workspace in is not empty, so it stays.
 */
function removeEmptyUpTo(dir: string, stop: string): void {
  for (let current = dir; current !== stop && current !== dirname(current); current = dirname(current)) {
    try {
      rmdirSync(current);
    } catch {
      return;
    }
  }
}
