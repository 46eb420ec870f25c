import { join } from 'node:path';
import type { WatchRoute } from '../core/config/schema.js';
import { slotFor } from '../core/names.js';
import { workspaceRoot } from '../core/workspace/plan-workspace.js';
import { isAgentctlError } from '../core/errors.js';
import { AGENTCTL_MARKER } from '../core/forge/answer-plan.js';
import type { RunStatus } from '../core/run/status.js';
import { displayLine } from '../core/text/display-line.js';
import {
  claimable,
  claimKey,
  dispatchFailedComment,
  labelMove,
  nextPollSeconds,
  outcomeComment,
  outcomeOf,
  watchLabels,
  type Transition,
  type WatchLabels,
} from '../core/watch/watch-plan.js';
import type { Forge, ListValidators, RepoId } from '../forge/forge.js';
import { readClaims, readValidators, removeWatcher, updateClaims, writeValidators, writeWatcher, type Claim, type RouteRecord, type WatcherRecord } from './watch-store.js';

/** What the watcher needs from the rest of agentctl: forges, the dispatch and answer services, and run state. */
export interface WatchPorts {
  home: string;
  pid: number;
  clock: { now(): Date };
  forge(key: string): Promise<Forge>;
  /** Dispatch issue (or PR) `number` of `repo` with the route's settings, as `agentctl dispatch` does; the run's workspace. */
  dispatch(route: WatchRoute, repo: RepoId, number: number): Promise<string>;
  /** Answer a blocked run from a trusted reply on its issue, as `agentctl answer --from-forge` does; false while there is none. */
  answer(workspace: string): Promise<boolean>;
  /** The run's status as agentctl records it, finishing it first if its agent has ended. */
  runStatus(workspace: string): Promise<RunStatus | undefined>;
  alive(pid: number): boolean;
  notify(line: string): void;
}

interface RouteState {
  route: WatchRoute;
  record: RouteRecord;
  /** When the route is next due, in ms since the epoch. */
  dueAt: number;
}

const routeName = (route: WatchRoute) => `${route.forge} ${route.repos.join(',')} ${route.on === 'pull_request' ? 'PRs' : 'issues'} labelled "${route.label}"`;
const validatorKey = (route: WatchRoute, repo: string) => `${route.forge}/${repo}/${route.on}/${route.label}`;

function repoId(slug: string): RepoId {
  const [owner, repo] = slug.split('/') as [string, string];
  return { owner, repo };
}

/** A claim's route: the configured one it was made under, so its settings and label names hold. */
function routeOf(claim: Claim, routes: readonly WatchRoute[]): WatchRoute | undefined {
  return routes.find((r) => r.forge === claim.forge && r.label === claim.label && r.on === claim.on && r.repos.includes(`${claim.owner}/${claim.repo}`));
}

function labelsOf(claim: Claim, routes: readonly WatchRoute[]): WatchLabels {
  return watchLabels(routeOf(claim, routes) ?? { label: claim.label, labels: undefined });
}

async function moveLabels(forge: Forge, claim: Claim, names: WatchLabels, step: Transition): Promise<void> {
  const move = labelMove(names, step);
  const repo = { owner: claim.owner, repo: claim.repo };
  await forge.addLabels(repo, claim.number, [move.add]);
  for (const label of move.remove) await forge.removeLabel(repo, claim.number, label);
}

function message(error: unknown): string {
  return displayLine(isAgentctlError(error) ? error.message : error instanceof Error ? error.message : String(error)).slice(0, 500);
}

/** Set one claim's fields under the lock, if it is still at `from` (and, when given, still held by `by`). */
async function step(ports: WatchPorts, key: string, from: Claim['stage'][], change: Partial<Claim>, by?: number): Promise<boolean> {
  return updateClaims(ports.home, (claims) => {
    const claim = claims[key];
    if (claim === undefined || !from.includes(claim.stage) || (by !== undefined && claim.by !== by)) return { result: false };
    return { claims: { ...claims, [key]: { ...claim, ...change } }, result: true };
  });
}

/**
 * Claim one labelled issue, exactly once: record the claim in agentctl's
 * state under its lock (no other watcher on this machine can take it
 * then), check on the forge that it still carries the ready label and no
 * running label (another machine's watcher), move the labels, then dispatch.
 */
async function claimIssue(route: WatchRoute, repo: RepoId, number: number, forge: Forge, ports: WatchPorts): Promise<void> {
  const key = claimKey(route.forge, repo.owner, repo.repo, route.on, number);
  const names = watchLabels(route);
  const taken = await updateClaims(ports.home, (claims) => {
    const held = claims[key];
    // An ended claim is taken again only because a person put the ready label back.
    if (held !== undefined && held.stage !== 'ended') return { result: false };
    const claim: Claim = { key, forge: route.forge, owner: repo.owner, repo: repo.repo, number, on: route.on, label: route.label, stage: 'claimed', by: ports.pid, claimedAt: ports.clock.now().toISOString() };
    return { claims: { ...claims, [key]: claim }, result: true };
  });
  if (!taken) return;
  const issue = await forge.getIssue(repo, number);
  if (!claimable(issue.labels, names)) {
    await updateClaims(ports.home, (claims) => {
      const { [key]: _dropped, ...rest } = claims;
      return { claims: claims[key]?.by === ports.pid && claims[key]?.stage === 'claimed' ? rest : claims, result: undefined };
    });
    ports.notify(`watch: ${key} was taken elsewhere meanwhile; left alone`);
    return;
  }
  await continueClaim(readClaims(ports.home)[key] as Claim, route, forge, ports);
}

/**
 * A recorded claim whose label move may have been cut short: it goes on if
 * the issue still carries the ready label or already the running one;
 * with neither, a person has taken the label off, and the claim is dropped.
 */
async function stillOurs(claim: Claim, route: WatchRoute, forge: Forge, ports: WatchPorts): Promise<boolean> {
  const names = watchLabels(route);
  const labels = (await forge.getIssue({ owner: claim.owner, repo: claim.repo }, claim.number)).labels.map((l) => l.toLowerCase());
  if (labels.includes(names.ready.toLowerCase()) || labels.includes(names.running.toLowerCase())) return true;
  await updateClaims(ports.home, (claims) => {
    const { [claim.key]: _dropped, ...rest } = claims;
    return { claims: claims[claim.key]?.stage === 'claimed' ? rest : claims, result: undefined };
  });
  return false;
}

/** From a recorded claim on: labels to running, then the dispatch, each step recorded before it is taken. */
async function continueClaim(claim: Claim, route: WatchRoute, forge: Forge, ports: WatchPorts): Promise<void> {
  const names = watchLabels(route);
  await moveLabels(forge, claim, names, 'claim');
  if (!(await step(ports, claim.key, ['claimed'], { stage: 'dispatching' }, ports.pid))) return;
  await dispatchClaim({ ...claim, stage: 'dispatching' }, route, forge, ports);
}

async function dispatchClaim(claim: Claim, route: WatchRoute, forge: Forge, ports: WatchPorts): Promise<void> {
  let workspace: string;
  try {
    workspace = await ports.dispatch(route, { owner: claim.owner, repo: claim.repo }, claim.number);
  } catch (error) {
    const why = message(error);
    ports.notify(`watch: ${claim.key}: dispatch failed: ${why}`);
    await step(ports, claim.key, ['dispatching'], { stage: 'ended', outcome: 'failed' });
    await moveLabels(forge, claim, watchLabels(route), 'failed');
    await forge.postComment({ owner: claim.owner, repo: claim.repo }, claim.number, dispatchFailedComment(why));
    return;
  }
  await step(ports, claim.key, ['dispatching'], { stage: 'dispatched', workspace });
  ports.notify(`watch: dispatched ${claim.key} -> ${workspace}`);
}

/** The workspace a dispatch of this claim makes: org/repo/task-N or pr-N, as prepare-dispatch names it. */
function expectedWorkspace(claim: Claim, home: string): string {
  const target = claim.on === 'pull_request' ? { kind: 'pr' as const, number: claim.number } : { kind: 'issue' as const, number: claim.number };
  return join(workspaceRoot(home), claim.owner, claim.repo, slotFor(target));
}

/** Whether a dispatch of this claim was admitted: its run was queued or started after the claim. */
function admittedSince(status: RunStatus | undefined, claimedAt: string): boolean {
  const at = [status?.queuedAt, status?.startedAt].filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return at.some((t) => t >= Date.parse(claimedAt));
}

/**
 * Move every claim on: finish what a killed watcher left half done, report
 * runs that ended (labels and a comment, once per run), and resume blocked
 * runs that got a trusted reply.
 */
async function advanceClaims(routes: readonly WatchRoute[], ports: WatchPorts, forges: Map<string, Forge>): Promise<void> {
  for (const claim of Object.values(readClaims(ports.home))) {
    const route = routeOf(claim, routes);
    if (route === undefined || claim.stage === 'ended') continue;
    const held = claim.by !== ports.pid && ports.alive(claim.by);
    try {
      const forge = forges.get(route.forge) ?? (await ports.forge(route.forge));
      forges.set(route.forge, forge);
      await advanceClaim(claim, route, forge, ports, held);
    } catch (error) {
      ports.notify(`watch: ${claim.key}: ${message(error)}`);
    }
  }
}

async function advanceClaim(claim: Claim, route: WatchRoute, forge: Forge, ports: WatchPorts, heldElsewhere: boolean): Promise<void> {
  switch (claim.stage) {
    case 'claimed':
      // Ours (an earlier step failed) or a dead watcher's: go on while the issue still waits or already shows the move begun.
      if (heldElsewhere || !(await step(ports, claim.key, ['claimed'], { by: ports.pid }, claim.by))) return;
      if (!(await stillOurs(claim, route, forge, ports))) return;
      return continueClaim({ ...claim, by: ports.pid }, route, forge, ports);
    case 'dispatching': {
      if (heldElsewhere || !(await step(ports, claim.key, ['dispatching'], { by: ports.pid }, claim.by))) return;
      // Killed mid-dispatch: a run admitted since the claim is the one; none means nothing was started, so dispatch now.
      const workspace = expectedWorkspace(claim, ports.home);
      if (admittedSince(await ports.runStatus(workspace), claim.claimedAt)) {
        await step(ports, claim.key, ['dispatching'], { stage: 'dispatched', workspace });
        return;
      }
      return dispatchClaim({ ...claim, by: ports.pid }, route, forge, ports);
    }
    case 'answering':
      if (heldElsewhere) return;
      await step(ports, claim.key, ['answering'], { stage: 'dispatched', by: ports.pid }, claim.by);
      return;
    case 'dispatched':
      return reportEnd(claim, route, forge, ports);
    case 'blocked':
      return tryAnswer(claim, route, forge, ports);
    default:
      return;
  }
}

/** A run that ended since the last report: labels and one comment, the outcome from agentctl's own record of the run. */
async function reportEnd(claim: Claim, route: WatchRoute, forge: Forge, ports: WatchPorts): Promise<void> {
  if (claim.workspace === undefined) return;
  const status = await ports.runStatus(claim.workspace);
  const outcome = status === undefined ? undefined : outcomeOf(status);
  if (status === undefined || outcome === undefined) return;
  if (claim.reportedRun === status.runCount) {
    if (outcome === 'blocked') await step(ports, claim.key, ['dispatched'], { stage: 'blocked' });
    return;
  }
  const next = outcome === 'blocked' ? 'blocked' : 'ended';
  const reported = await updateClaims(ports.home, (claims) => {
    const now = claims[claim.key];
    if (now?.stage !== 'dispatched' || now.reportedRun === status.runCount) return { result: false };
    return { claims: { ...claims, [claim.key]: { ...now, stage: next, reportedRun: status.runCount, outcome } }, result: true };
  });
  if (!reported) return;
  await moveLabels(forge, claim, watchLabels(route), outcome);
  await forge.postComment({ owner: claim.owner, repo: claim.repo }, claim.number, outcomeComment(status, outcome));
  ports.notify(`watch: ${claim.key} ${outcome} (${status.state})`);
}

/** Host and forge clocks differ: replies are looked for from this long before the run ended. */
const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * A blocked run whose question got a reply from the dispatching account or
 * a writer: answered and resumed through the answer service, which checks
 * who wrote it. A cheap look for new replies (one call) comes first, so a
 * quiet issue costs one request per poll, and a stranger's reply is handed
 * to the answer service once, not on every poll.
 */
async function tryAnswer(claim: Claim, route: WatchRoute, forge: Forge, ports: WatchPorts): Promise<void> {
  if (claim.workspace === undefined) return;
  const status = await ports.runStatus(claim.workspace);
  if (status === undefined) return;
  if (status.state !== 'blocked') {
    // Answered some other way (agentctl answer by hand): running again, and reported when it ends.
    if (await step(ports, claim.key, ['blocked'], { stage: 'dispatched' })) await moveLabels(forge, claim, watchLabels(route), 'answered');
    return;
  }
  const since = new Date(Date.parse(status.finishedAt ?? claim.claimedAt) - CLOCK_SKEW_MS).toISOString();
  const replies = (await forge.listCommentsSince({ owner: claim.owner, repo: claim.repo }, claim.number, since)).filter((c) => !c.body.includes(AGENTCTL_MARKER));
  const newest = Math.max(0, ...replies.map((c) => c.id));
  if (newest <= (claim.checkedReply ?? 0)) return;
  if (!(await step(ports, claim.key, ['blocked'], { stage: 'answering', by: ports.pid, checkedReply: newest }))) return;
  let answered = false;
  try {
    answered = await ports.answer(claim.workspace);
  } finally {
    await step(ports, claim.key, ['answering'], { stage: answered ? 'dispatched' : 'blocked' }, ports.pid);
  }
  if (!answered) return;
  await moveLabels(forge, claim, watchLabels(route), 'answered');
  ports.notify(`watch: ${claim.key} answered on the forge; resumed`);
}

/** Poll one route: list each repo's labelled issues (conditionally) and claim the ones that are free. */
async function pollRoute(state: RouteState, ports: WatchPorts, forges: Map<string, Forge>): Promise<void> {
  const { route } = state;
  const forge = forges.get(route.forge) ?? (await ports.forge(route.forge));
  forges.set(route.forge, forge);
  const names = watchLabels(route);
  const validators = readValidators(ports.home);
  for (const slug of route.repos) {
    const repo = repoId(slug);
    const key = validatorKey(route, slug);
    const listed = await forge.listLabelled(repo, route.label, route.on, validators[key] ?? {});
    if (listed.notModified) continue;
    writeValidators(ports.home, { ...readValidators(ports.home), [key]: listed.validators satisfies ListValidators });
    for (const item of listed.items) {
      if (claimable(item.labels, names)) await claimIssue(route, repo, item.number, forge, ports);
    }
  }
}

export interface WatchOptions {
  once: boolean;
  /** Aborted on SIGINT/SIGTERM: the loop ends after the step it is in. */
  signal: AbortSignal;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * Poll every route when it is due, claim and dispatch what is labelled,
 * and move claims on; with `once`, one round. A failing forge backs its
 * routes off exponentially, shown in the watcher's record for status.
 * Returns the number of routes whose last poll failed.
 */
export async function watch(routes: readonly WatchRoute[], ports: WatchPorts, options: WatchOptions): Promise<number> {
  const started = ports.clock.now();
  const states: RouteState[] = routes.map((route) => ({ route, record: { name: routeName(route), failures: 0 }, dueAt: started.getTime() }));
  const record = (): WatcherRecord => ({ pid: ports.pid, startedAt: started.toISOString(), once: options.once, routes: states.map((s) => s.record) });
  writeWatcher(ports.home, record());
  const forges = new Map<string, Forge>();
  try {
    while (!options.signal.aborted) {
      for (const state of states) {
        const now = ports.clock.now();
        if (state.dueAt > now.getTime() || options.signal.aborted) continue;
        try {
          await pollRoute(state, ports, forges);
          state.record.failures = 0;
          state.record.lastError = undefined;
        } catch (error) {
          state.record.failures += 1;
          state.record.lastError = message(error);
          ports.notify(`watch: ${state.record.name}: ${state.record.lastError}; poll ${state.record.failures} in a row failed, backing off`);
        }
        const delay = nextPollSeconds(state.route.poll_seconds, state.record.failures) * 1000;
        state.dueAt = ports.clock.now().getTime() + delay;
        state.record.lastPoll = now.toISOString();
        state.record.nextPoll = options.once ? undefined : new Date(state.dueAt).toISOString();
        writeWatcher(ports.home, record());
      }
      if (!options.signal.aborted) await advanceClaims(routes, ports, forges);
      if (options.once) break;
      const next = Math.min(...states.map((s) => s.dueAt));
      await sleep(Math.max(100, next - ports.clock.now().getTime()), options.signal);
    }
  } finally {
    removeWatcher(ports.home, ports.pid);
  }
  return states.filter((s) => s.record.failures > 0).length;
}
