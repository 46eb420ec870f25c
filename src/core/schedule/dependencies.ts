import type { QaState, RunState, RunStatus } from '../run/status.js';

/**
 * What the dependency rules need to know of a run: agentctl's own record of
 * it (status.json under .meta/), never anything its agent could write.
 */
export interface DepRun {
  workspace: string;
  state: RunState;
  qa?: QaState | undefined;
  /** The runs this one waits for (dispatch --after). */
  after?: readonly string[] | undefined;
}

/** Whether a run that waits for others may go ahead now. */
export type Gate = { kind: 'ready' } | { kind: 'waiting'; on: string[] } | { kind: 'failed'; dependency: string; why: string };

/** Why a dependency that has ended does not let its dependants start; undefined when it earned the start. */
function failureOf(dep: DepRun | undefined): string | undefined {
  if (dep === undefined) return 'has no run';
  if (dep.state === 'completed') return dep.qa === 'failed' ? 'completed but its QA failed' : undefined;
  if (dep.state === 'queued' || dep.state === 'running') return undefined;
  if (dep.state === 'prepared') return 'was only prepared (a dry run), never dispatched';
  return `ended ${dep.state}`;
}

/**
 * A run starts only once every dependency has completed with QA not failed;
 * any dependency that ended otherwise fails it (the first one named, in the
 * order given). A dependency still queued or running keeps it waiting.
 */
export function dependencyGate(after: readonly string[], runs: ReadonlyMap<string, DepRun>): Gate {
  const on: string[] = [];
  for (const workspace of after) {
    const dep = runs.get(workspace);
    const why = failureOf(dep);
    if (why !== undefined) return { kind: 'failed', dependency: workspace, why };
    if (dep?.state !== 'completed') on.push(workspace);
  }
  return on.length === 0 ? { kind: 'ready' } : { kind: 'waiting', on };
}

export interface DependencyCancel {
  workspace: string;
  dependency: string;
  why: string;
}

export interface Settled {
  /** Queued runs to end cancelled (dependency-failed), dependants of a cancelled run after it. */
  cancel: DependencyCancel[];
  /** Queued runs that must not start yet, with the dependencies they still wait for. */
  waiting: Map<string, string[]>;
}

/**
 * Settle every queued run's dependencies at once: a run whose dependency
 * failed is cancelled, and so, in the same pass, is every run waiting on it.
 */
export function settleDependencies(runs: readonly DepRun[]): Settled {
  const current = new Map(runs.map((run) => [run.workspace, run]));
  const cancel: DependencyCancel[] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const run of current.values()) {
      if (run.state !== 'queued' || run.after === undefined || run.after.length === 0) continue;
      const gate = dependencyGate(run.after, current);
      if (gate.kind !== 'failed') continue;
      cancel.push({ workspace: run.workspace, dependency: gate.dependency, why: gate.why });
      current.set(run.workspace, { ...run, state: 'cancelled' });
      changed = true;
    }
  }
  const waiting = new Map<string, string[]>();
  for (const run of current.values()) {
    if (run.state !== 'queued' || run.after === undefined || run.after.length === 0) continue;
    const gate = dependencyGate(run.after, current);
    if (gate.kind === 'waiting') waiting.set(run.workspace, gate.on);
  }
  return { cancel, waiting };
}

/** The reason a cancelled dependant carries: the code first, then the dependency by name. */
export function dependencyFailedReason(dependency: string, why: string): string {
  return `dependency-failed: ${dependency} ${why}`;
}

/** What a queued run waiting for others says in status. */
export function waitingForDependencies(on: readonly string[], states: ReadonlyMap<string, RunState>): string {
  return `waiting for ${on.length === 1 ? 'its dependency' : `${on.length} dependencies`}: ${on.map((dep) => `${dep} (${states.get(dep) ?? 'unknown'})`).join(', ')}`;
}

/**
 * The dependencies of `workspace` that lead back to it: a run must not wait,
 * directly or through others, for itself. Returns the cycle as a path
 * (workspace, ..., workspace), or undefined.
 */
export function dependencyCycle(workspace: string, after: readonly string[], runs: ReadonlyMap<string, DepRun>): string[] | undefined {
  const seen = new Set<string>();
  const visit = (at: string, path: string[]): string[] | undefined => {
    if (at === workspace) return [...path, at];
    if (seen.has(at)) return undefined;
    seen.add(at);
    const dep = runs.get(at);
    // Only a run still waiting can close a cycle: one that has ended waits for nothing.
    if (dep === undefined || dep.state !== 'queued') return undefined;
    for (const next of dep.after ?? []) {
      const found = visit(next, [...path, at]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (const dep of after) {
    const found = visit(dep, [workspace]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * What each queued run that waits for its dependencies says, as things
 * stand now, with workspaces named by `name` (org/repo/slot). A run not in
 * the map waits for a slot, if at all.
 */
export function dependencyNotes(statuses: readonly RunStatus[], name: (workspace: string) => string): Map<string, string> {
  const states = new Map(statuses.map((s) => [name(s.workspace), s.state]));
  const notes = new Map<string, string>();
  const runs = statuses.map((s) => ({ workspace: s.workspace, state: s.state, qa: s.qa?.state, after: s.after }));
  for (const [workspace, on] of settleDependencies(runs).waiting) notes.set(workspace, waitingForDependencies(on.map(name), states));
  return notes;
}
