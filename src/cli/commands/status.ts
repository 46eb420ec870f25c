import { join } from 'node:path';
import { ExitCode } from '../../core/errors.js';
import type { StatusJson } from '../json-shapes.js';
import type { RunStatus } from '../../core/run/status.js';
import { displayLine, displayText } from '../../core/text/display-line.js';
import { formatWait, limitsFrom, pauseLeft, type PoolBackoff } from '../../core/schedule/scheduler.js';
import { allStatuses } from '../../run/queue.js';
import { dependencyWaits } from '../../run/run-dependencies.js';
import { readSchedulerState } from '../../run/scheduler-store.js';
import { readStatus } from '../../run/status-store.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';
import { tick } from '../../run/supervisor.js';
import { stateHome, type Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { statusOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { elapsedSeconds, formatDuration, renderFinal, stateLabel } from '../render-status.js';
import { summaryOf } from '../summary-of.js';
import { useColor } from '../io.js';
import { schedRunOf, waitingNow } from '../../core/schedule/waiting.js';
import { formatUntil } from '../../core/schedule/usage-window.js';
import { isTerminal } from '../../core/run/status.js';
import { runContextFor } from '../run-context.js';
import { renderWatchers, watchersFor } from '../../watch/watch-status.js';
import { chainView } from '../../core/chain/chain-state.js';
import { listChains } from '../../run/chain-store.js';

interface PoolRow {
  pool: string;
  limit: number;
  running: number;
  queued: number;
  pausedSeconds: number;
  /** Only while paused: until when (ISO), and, for a usage-limit pause, whose limit. */
  pausedUntil?: string;
  pausedFor?: string;
  fastFails: number;
  /** Reported cost of the pool's runs, summed (USD). */
  costUsd: number;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

function pausedFields(backoff: PoolBackoff | undefined, now: Date): Pick<PoolRow, 'pausedUntil' | 'pausedFor'> {
  if (backoff?.pausedUntil === undefined || pauseLeft(backoff, now) === 0) return {};
  return backoff.pausedFor === undefined ? { pausedUntil: backoff.pausedUntil } : { pausedUntil: backoff.pausedUntil, pausedFor: backoff.pausedFor };
}

function poolBackoff(p: PoolRow, now: Date): string {
  if (p.pausedSeconds > 0 && p.pausedUntil !== undefined && p.pausedFor !== undefined) return `paused until ${formatUntil(new Date(p.pausedUntil), now)} (${p.pausedFor})`;
  if (p.pausedSeconds > 0) return `paused ${formatWait(p.pausedSeconds)}`;
  return p.fastFails > 0 ? `${p.fastFails} fast failure(s)` : '-';
}

export async function run(raw: unknown, deps: Deps): Promise<number> {
  if ((raw as { watch?: unknown } | undefined)?.watch === true) return (await import('./status-watch.js')).run(raw, deps);
  const opts = parseOptions(statusOp.input, raw, 'status');
  const { config } = await loadConfigFor(deps, opts.config);
  const home = stateHome(deps);
  const only = opts.args[0] === undefined ? undefined : resolveWorkspace(opts.args[0], deps);
  // Whoever looks does the waiting work too: finish ended runs, start queued ones.
  if (allStatuses(home).some((s) => s.state === 'running' || s.state === 'queued')) {
    const ctx = await runContextFor(deps, config);
    const result = await tick(ctx);
    if (result.running > 0 || (result.queued > 0 && !result.frozen)) await ctx.ensureSupervisor();
  }
  const everything = allStatuses(home);
  const statuses = only === undefined ? everything : [readStatus(only)].filter((s): s is RunStatus => s !== undefined);
  const scheduler = readSchedulerState(home);
  const now = deps.clock.now();
  const limits = limitsFrom(config);
  const poolNames = [...new Set([...everything.map((s) => s.pool), ...Object.keys(scheduler.pools), ...Object.keys(config.pools)])].sort();
  const pools: PoolRow[] = poolNames.map((pool) => ({
    pool,
    limit: limits.pool(pool),
    running: everything.filter((s) => s.pool === pool && s.state === 'running').length,
    queued: everything.filter((s) => s.pool === pool && s.state === 'queued').length,
    pausedSeconds: pauseLeft(scheduler.pools[pool], now),
    ...pausedFields(scheduler.pools[pool], now),
    fastFails: scheduler.pools[pool]?.fastFails ?? 0,
    costUsd: Math.round(everything.filter((s) => s.pool === pool).reduce((sum, s) => sum + (s.usage?.costUsd ?? 0), 0) * 10000) / 10000,
  }));
  // Why a queued run waits, as things stand now: a freeze or a pause that came after it was queued names itself.
  const waitingOnDeps = dependencyWaits(everything, home);
  const sched = everything.filter((s) => !waitingOnDeps.has(s.workspace)).map(schedRunOf);
  const note = (s: RunStatus) =>
    s.state === 'queued' ? (waitingOnDeps.get(s.workspace) ?? waitingNow(schedRunOf(s), sched, scheduler, limits, now, s.waitingFor)) : s.waitingFor;
  const queue = everything
    .filter((s) => s.state === 'queued')
    .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || (a.seq ?? 0) - (b.seq ?? 0))
    .map((s) => s.workspace);

  const watchers = only === undefined ? watchersFor(home) : [];
  // Each chain's state is its tasks' statuses, read here: nothing to keep in step.
  const byWorkspace = new Map(everything.map((s) => [s.workspace, s]));
  const chains = only === undefined ? listChains(home).map((record) => chainView(record, byWorkspace)) : [];
  if (opts.json) {
    const runs = statuses.map((s) => ({ ...s, waitingFor: note(s), elapsedSeconds: elapsedSeconds(s, now) ?? null, summary: isTerminal(s.state) ? summaryOf(s) : null }));
    const out: StatusJson = { frozen: scheduler.frozen, runs, pools, queue, chains, watchers };
    deps.io.out(`${JSON.stringify(out, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (statuses.length === 0) {
    if (scheduler.frozen) deps.io.err('agentctl is frozen: no new runs start until "agentctl thaw"\n');
    deps.io.err('no runs yet; start one with: agentctl dispatch --repo org/name --issue N\n');
    deps.io.out(renderWatchers(watchers, now).replace(/^\n/, ''));
    return ExitCode.ok;
  }
  const root = join(home, 'workspace');
  const rows = statuses.map((s) => [
    s.workspace.startsWith(root) ? s.workspace.slice(root.length + 1) : s.workspace,
    stateLabel(s),
    s.agent,
    s.runtime,
    formatDuration(elapsedSeconds(s, now)),
    s.qa?.state ?? '-',
    // The question and the reason can be the agent's own words.
    displayLine(s.question?.split('\n')[0]?.slice(0, 60) ?? note(s) ?? s.reason ?? ''),
  ]);
  let out = table(['WORKSPACE', 'STATE', 'AGENT', 'RUNTIME', 'ELAPSED', 'QA', 'NOTE'], rows);
  if (only === undefined) {
    out += `\n${table(
      ['POOL', 'LIMIT', 'RUNNING', 'QUEUED', 'COST', 'BACKOFF'],
      pools.map((p) => [
        p.pool,
        String(p.limit),
        String(p.running),
        String(p.queued),
        p.costUsd > 0 ? `$${p.costUsd.toFixed(2)}` : '-',
        poolBackoff(p, now),
      ]),
    )}`;
    if (chains.length > 0) {
      out += `\n${table(
        ['CHAIN', 'STATE', 'TASKS'],
        chains.map((c) => [c.id, c.state, c.tasks.map((t) => `${t.id} ${t.state}`).join(', ')]),
      )}`;
    }
    if (scheduler.frozen) out += '\nfrozen: no new runs start until "agentctl thaw"\n';
    // A route's last error is the forge's answer: shown as one clean line.
    out += displayText(renderWatchers(watchers, now));
  } else {
    const [one] = statuses;
    if (one !== undefined && isTerminal(one.state)) out += `\n${renderFinal(one, summaryOf(one), useColor(deps.io, deps.env, false))}`;
  }
  deps.io.out(out);
  return ExitCode.ok;
}
