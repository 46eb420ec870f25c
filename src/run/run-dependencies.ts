import { join, relative } from 'node:path';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { RunStatus } from '../core/run/status.js';
import { dependencyCycle, dependencyFailedReason, dependencyGate, dependencyNotes, settleDependencies, waitingForDependencies, type DepRun } from '../core/schedule/dependencies.js';
import { recordEvent } from './events.js';
import type { Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { writeStatus } from './status-store.js';

// dispatch --after in the queue: the rules are pure (core/schedule/dependencies); this applies them to the runs on disk.

function depRun(status: RunStatus): DepRun {
  return { workspace: status.workspace, state: status.state, qa: status.qa?.state, after: status.after };
}

/** org/repo/slot, as status prints a workspace. */
function workspaceName(home: string, workspace: string): string {
  const rel = relative(join(home, 'workspace'), workspace);
  return rel.startsWith('..') ? workspace : rel;
}

/** Why a job with dependencies cannot start at once, or undefined when they are all done (or it has none). */
export function dependencyHold(job: Job, statuses: readonly RunStatus[], home: string): string | undefined {
  if (job.after === undefined || job.after.length === 0) return undefined;
  const runs = new Map(statuses.map((s) => [s.workspace, depRun(s)]));
  const cycle = dependencyCycle(job.workspace, job.after, runs);
  if (cycle !== undefined) {
    throw new AgentctlError('dependency_cycle', `--after would make a cycle: ${cycle.map((ws) => workspaceName(home, ws)).join(' -> ')}`, {
      exitCode: ExitCode.usage,
      hint: 'a run cannot wait, directly or through others, for itself; drop one of the --after',
    });
  }
  const gate = dependencyGate(job.after, runs);
  if (gate.kind === 'ready') return undefined;
  if (gate.kind === 'failed') return dependencyFailedReason(workspaceName(home, gate.dependency), gate.why);
  return waitingForDependencies(gate.on.map((ws) => workspaceName(home, ws)), new Map(statuses.map((s) => [workspaceName(home, s.workspace), s.state])));
}

/** What each queued run that waits for its dependencies says in status (see dependencyNotes). */
export function dependencyWaits(statuses: readonly RunStatus[], home: string): Map<string, string> {
  return dependencyNotes(statuses, (workspace) => workspaceName(home, workspace));
}

/**
 * Queued runs whose dependency failed end cancelled (dependency-failed,
 * naming it), and their own dependants with them. Returns the runs still
 * waiting for a dependency, which must not start.
 */
export function settleQueued(current: Map<string, RunStatus>, ctx: RunContext): ReadonlyMap<string, string[]> {
  const { cancel, waiting } = settleDependencies([...current.values()].map(depRun));
  for (const { workspace, dependency, why } of cancel) {
    const previous = current.get(workspace) as RunStatus;
    const reason = dependencyFailedReason(workspaceName(ctx.home, dependency), why);
    const cancelled: RunStatus = { ...previous, state: 'cancelled', reason, dependencyFailed: dependency, waitingFor: undefined, finishedAt: ctx.clock.now().toISOString() };
    writeStatus(cancelled);
    current.set(workspace, cancelled);
    recordEvent(ctx.home, { type: 'finished', at: cancelled.finishedAt as string, workspace, agent: previous.agent, state: 'cancelled', reason, dependency });
  }
  return waiting;
}

/** Queued runs that wait for a dependency still queued or running: they take no slot and hold up no other run. */
export function waitingOnDependencies(statuses: readonly RunStatus[]): ReadonlyMap<string, string[]> {
  return settleDependencies(statuses.map(depRun)).waiting;
}
