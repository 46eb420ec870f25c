import { elapsedSeconds, formatDuration, stateLabel } from '../../cli/render-status.js';
import type { RunState, RunStatus } from '../run/status.js';
import { displayLine } from '../text/display-line.js';
import { formatWait, pauseLeft, type Limits, type SchedulerState } from '../schedule/scheduler.js';
import { dependencyNotes } from '../schedule/dependencies.js';
import { withWaitingNow } from '../schedule/waiting.js';

/** One run as the dashboard shows it. */
export interface DashboardRow {
  workspace: string;
  /** org/repo/slot under $AGENTCTL_HOME/workspace, else the path. */
  name: string;
  agent: string;
  pool: string;
  state: RunState;
  /** The state in words, as `agentctl status` prints it ("completed (QA failed)"). */
  label: string;
  elapsedSeconds: number | null;
  elapsed: string;
  /** One line of what the run is doing or why it stopped. */
  note: string;
  costUsd: number | null;
  /** "$0.42", "12.3k tok" when only tokens are known, else "-". */
  cost: string;
  qa: string;
}

export interface DashboardPool {
  pool: string;
  limit: number;
  running: number;
  queued: number;
  backoffSeconds: number;
  fastFails: number;
  /** "paused 3m", "2 fast failure(s)" or "-". */
  backoff: string;
}

export interface DashboardQueueEntry {
  position: number;
  workspace: string;
  name: string;
  pool: string;
  priority: number;
  waitingFor: string;
}

export interface DashboardModel {
  frozen: boolean;
  running: number;
  queued: number;
  rows: DashboardRow[];
  pools: DashboardPool[];
  queue: DashboardQueueEntry[];
}

export interface ModelInput {
  statuses: readonly RunStatus[];
  scheduler: SchedulerState;
  limits: Limits;
  /** Pools named in the config, shown even when empty. */
  configPools: readonly string[];
  now: Date;
  /** $AGENTCTL_HOME/workspace, to shorten workspace paths. */
  root: string;
}

export function shortName(workspace: string, root: string): string {
  return workspace.startsWith(`${root}/`) ? workspace.slice(root.length + 1) : workspace;
}

/** First non-empty line, whitespace collapsed, without control characters. */
function oneLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const line = text
    .split('\n')
    .map((part) => displayLine(part).replace(/\s+/g, ' ').trim())
    .find((part) => part !== '');
  return line === undefined ? undefined : line.slice(0, 300);
}

/** What to say about a run: its question, why it waits or failed, else its latest progress. */
function noteOf(status: RunStatus): string {
  const last = oneLine(status.progress?.at(-1));
  switch (status.state) {
    case 'blocked':
      return oneLine(status.question) ?? oneLine(status.reason) ?? last ?? '';
    case 'queued':
      return oneLine(status.waitingFor) ?? '';
    case 'failed':
    case 'cancelled':
      return oneLine(status.reason) ?? last ?? '';
    default:
      return last ?? oneLine(status.reason) ?? '';
  }
}

function tokens(count: number): string {
  return count >= 1_000_000 ? `${(count / 1_000_000).toFixed(1)}M` : count >= 1000 ? `${(count / 1000).toFixed(1)}k` : String(count);
}

function costOf(status: RunStatus): string {
  const usage = status.usage;
  if (usage === undefined) return '-';
  if (usage.costUsd !== undefined) return `$${usage.costUsd.toFixed(2)}`;
  const total = usage.inputTokens + usage.outputTokens;
  return total > 0 ? `${tokens(total)} tok` : '-';
}

const byQueueOrder = (a: RunStatus, b: RunStatus) => (b.priority ?? 0) - (a.priority ?? 0) || (a.seq ?? 0) - (b.seq ?? 0);
const time = (iso: string | undefined) => (iso === undefined ? 0 : new Date(iso).getTime());

/**
 * Rows in the order a person watching wants them: running (longest first),
 * then the queue in start order, then prepared, then finished runs, newest
 * first. Ties go by workspace so the order is stable between refreshes.
 */
function ordered(statuses: readonly RunStatus[]): RunStatus[] {
  const rank = (s: RunStatus) => (s.state === 'running' ? 0 : s.state === 'queued' ? 1 : s.state === 'prepared' ? 2 : 3);
  return [...statuses].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    let order = 0;
    if (a.state === 'running') order = time(a.startedAt) - time(b.startedAt);
    else if (a.state === 'queued') order = byQueueOrder(a, b);
    else if (rank(a) === 3) order = time(b.finishedAt) - time(a.finishedAt);
    return order !== 0 ? order : a.workspace.localeCompare(b.workspace);
  });
}

/** The whole dashboard from what is on disk: runs, pools and queue. Pure. */
export function buildModel(input: ModelInput): DashboardModel {
  const { scheduler, limits, now, root } = input;
  // A freeze or a pause that came after a run was queued is why it waits now.
  // A run waiting for its dependencies (dispatch --after) names them and their states instead.
  const deps = dependencyNotes(input.statuses, (workspace) => shortName(workspace, root));
  const statuses = withWaitingNow(input.statuses, scheduler, limits, now).map((s) => (deps.has(s.workspace) ? { ...s, waitingFor: deps.get(s.workspace) } : s));
  const rows: DashboardRow[] = ordered(statuses).map((s) => {
    const seconds = elapsedSeconds(s, now);
    return {
      workspace: s.workspace,
      name: shortName(s.workspace, root),
      agent: s.agent,
      pool: s.pool,
      state: s.state,
      label: stateLabel(s),
      elapsedSeconds: seconds ?? null,
      elapsed: formatDuration(seconds),
      note: noteOf(s),
      costUsd: s.usage?.costUsd ?? null,
      cost: costOf(s),
      qa: s.qa?.state ?? '-',
    };
  });
  const poolNames = [...new Set([...statuses.map((s) => s.pool), ...Object.keys(scheduler.pools), ...input.configPools])].sort();
  const pools: DashboardPool[] = poolNames.map((pool) => {
    const backoffSeconds = pauseLeft(scheduler.pools[pool], now);
    const fastFails = scheduler.pools[pool]?.fastFails ?? 0;
    return {
      pool,
      limit: limits.pool(pool),
      running: statuses.filter((s) => s.pool === pool && s.state === 'running').length,
      queued: statuses.filter((s) => s.pool === pool && s.state === 'queued').length,
      backoffSeconds,
      fastFails,
      backoff: backoffSeconds > 0 ? `paused ${formatWait(backoffSeconds)}` : fastFails > 0 ? `${fastFails} fast failure(s)` : '-',
    };
  });
  const queue: DashboardQueueEntry[] = statuses
    .filter((s) => s.state === 'queued')
    .sort(byQueueOrder)
    .map((s, i) => ({
      position: i + 1,
      workspace: s.workspace,
      name: shortName(s.workspace, root),
      pool: s.pool,
      priority: s.priority ?? 0,
      waitingFor: oneLine(s.waitingFor) ?? '',
    }));
  return {
    frozen: scheduler.frozen,
    running: statuses.filter((s) => s.state === 'running').length,
    queued: queue.length,
    rows,
    pools,
    queue,
  };
}
