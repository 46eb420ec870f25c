import { readFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { chownTree } from '../fs/chown-tree.js';
import { decideOutcome, type RunEnd } from '../core/run/outcome.js';
import type { RunStatus } from '../core/run/status.js';
import { recordEvent } from './events.js';
import type { RunContext } from './run-context.js';
import { blockedFile, runFiles } from './run-files.js';
import { runQa } from './run-qa.js';
import { readStatus, statusPath, writeStatus } from './status-store.js';

function readBlocked(workspace: string): string | undefined {
  try {
    return readFileSync(blockedFile(workspace), 'utf8');
  } catch {
    return undefined;
  }
}

/** How the run ended, or undefined while it is still going. */
async function observeEnd(status: RunStatus, ctx: RunContext): Promise<RunEnd | undefined> {
  if (status.runtime === 'host') {
    const state = ctx.runtimes.host.state(status.pid ?? -1, runFiles(status.workspace, '', false).exitCode);
    if (state.running) return undefined;
    return { exitCode: state.exitCode, killed: false, blockedText: readBlocked(status.workspace) };
  }
  const runtime = await ctx.runtimes.get(status.runtime);
  const container = status.containerId === undefined ? undefined : await runtime.inspect(status.containerId);
  if (container?.running === true) return undefined;
  return { exitCode: container?.exitCode, killed: container?.killed ?? false, blockedText: readBlocked(status.workspace) };
}

async function complete(status: RunStatus, end: RunEnd, ctx: RunContext): Promise<RunStatus> {
  const outcome = decideOutcome(end);
  let final: RunStatus = {
    ...status,
    state: outcome.state,
    exitCode: end.exitCode,
    reason: outcome.reason,
    question: outcome.question,
  };
  if (outcome.state === 'completed' && ctx.config.qa.enabled) {
    try {
      final = { ...final, qa: await runQa(status, ctx) };
    } catch (error) {
      final = {
        ...final,
        qa: { state: 'failed', commands: [], log: runFiles(status.workspace, '', false).qaLog, reason: `QA could not run: ${(error as Error).message}` },
      };
    }
  }
  final = { ...final, finishedAt: ctx.clock.now().toISOString() };
  const owner = status.owner;
  if (owner !== undefined && status.runtime !== 'host' && ctx.user.uid === 0) {
    try {
      chownTree(status.workspace, owner.uid, owner.gid);
    } catch (error) {
      final.warnings = [...final.warnings, `could not hand the workspace back to uid ${owner.uid}: ${(error as Error).message}`];
    }
  }
  if (status.runtime !== 'host' && status.containerId !== undefined) {
    try {
      await (await ctx.runtimes.get(status.runtime)).remove(status.containerId);
    } catch (error) {
      final.warnings = [...final.warnings, `could not remove container ${status.containerId}: ${(error as Error).message}`];
    }
  }
  writeStatus(final);
  recordEvent(ctx.home, {
    type: 'finished',
    at: final.finishedAt as string,
    workspace: status.workspace,
    agent: status.agent,
    state: final.state,
    exitCode: final.exitCode,
    reason: final.reason,
    qa: final.qa?.state,
  });
  return final;
}

/**
 * Finish a run whose agent has ended: outcome, QA, final status, events.
 * Exactly once across processes: whoever holds the workspace's finish lock
 * does it, and everyone else sees the result or the run still going.
 * With `wait`, block for the lock instead of returning at once.
 */
export async function reconcileRun(workspace: string, ctx: RunContext, wait = false): Promise<RunStatus | undefined> {
  const before = readStatus(workspace);
  if (before?.state !== 'running') return before;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(statusPath(workspace), {
      realpath: false,
      lockfilePath: `${statusPath(workspace)}.finish.lock`,
      stale: 20_000,
      retries: wait ? { retries: 100_000, minTimeout: 200, maxTimeout: 1000 } : 0,
    });
  } catch {
    return before;
  }
  try {
    const status = readStatus(workspace);
    if (status?.state !== 'running') return status;
    const end = await observeEnd(status, ctx);
    if (end === undefined) return status;
    return await complete(status, end, ctx);
  } finally {
    await release();
  }
}

/** Block until the agent of a running status ends, then finish it. */
export async function waitForRun(status: RunStatus, ctx: RunContext): Promise<RunStatus | undefined> {
  if (status.runtime === 'host') {
    const exitFile = runFiles(status.workspace, '', false).exitCode;
    while (ctx.runtimes.host.state(status.pid ?? -1, exitFile).running) await new Promise((resolve) => setTimeout(resolve, 200));
  } else if (status.containerId !== undefined) {
    try {
      await (await ctx.runtimes.get(status.runtime)).wait(status.containerId);
    } catch {
      // Already finished and removed by another agentctl process: its status is the answer.
    }
  }
  return reconcileRun(status.workspace, ctx, true);
}
