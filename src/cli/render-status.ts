import type { RunStatus } from '../core/run/status.js';
import { outcomeLabel, type RunSummary } from '../core/run/summary.js';
import { displayLine, displayText } from '../core/text/display-line.js';
import { paint } from './io.js';

export function elapsedSeconds(status: RunStatus, now: Date): number | undefined {
  if (status.startedAt === undefined) return undefined;
  const end = status.finishedAt === undefined ? now : new Date(status.finishedAt);
  return Math.max(0, Math.round((end.getTime() - new Date(status.startedAt).getTime()) / 1000));
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function stateLabel(status: RunStatus): string {
  return outcomeLabel(status);
}

/**
 * The closing summary of `dispatch --wait` and of `status WORKSPACE`: the
 * outcome and why, then what a person acts on next. Reason, question, hints,
 * QA command and tool names may come from the agent, the repository or a forge.
 */
export function renderFinal(status: RunStatus, summary: RunSummary, color: boolean): string {
  const c = paint(color);
  const tone = status.state === 'completed' && status.qa?.state !== 'failed' ? c.green : status.state === 'blocked' ? c.yellow : c.red;
  let out = `${tone(summary.outcome)}: ${status.agent} on ${status.repo}`;
  if (summary.reason !== null) out += ` (${displayLine(summary.reason)})`;
  out += '\n';
  if (status.question !== undefined) out += `question:\n${displayText(status.question).replace(/^/gm, '  ')}\n`;
  if (summary.hint !== null) out += `hint: ${displayLine(summary.hint)}\n`;
  if (summary.pullRequest !== null) out += `pull request: ${displayLine(summary.pullRequest)}\n`;
  else if (status.pushed !== undefined) out += `pushed: ${displayLine(status.pushed.branch)} at ${status.pushed.commit.slice(0, 12)} (no pull request)\n`;
  else if (summary.notPushed !== null) out += `not pushed: ${displayLine(summary.notPushed)}\n`;
  if (summary.reviewVerdict !== null) out += `review: ${summary.reviewVerdict}${status.review?.posted === true ? ' (posted)' : ''}\n`;
  if (status.qa !== undefined) {
    out += `QA: ${status.qa.state}${status.qa.reason === undefined ? '' : ` (${displayLine(status.qa.reason)})`}; log ${status.qa.log}\n`;
    if (status.qa.hint !== undefined) out += `QA hint: ${displayLine(status.qa.hint)}\n`;
  }
  if (summary.deniedTools.length > 0) out += `${c.yellow('denied tools')}: ${summary.deniedTools.map(displayLine).join(', ')} (the result may be incomplete)\n`;
  const spent = [summary.costUsd === null ? undefined : `$${summary.costUsd.toFixed(2)}`, summary.turns === null ? undefined : `${summary.turns} turn${summary.turns === 1 ? '' : 's'}`].filter(Boolean);
  if (spent.length > 0) out += `cost: ${spent.join(', ')}\n`;
  if (summary.sessionId !== null) out += `session: ${displayLine(summary.sessionId)}${summary.next === null ? '' : `; continue with: ${summary.next}`}\n`;
  else if (summary.next !== null) out += `next: ${summary.next}\n`;
  for (const warning of status.warnings) if (!warning.startsWith('not pushed: ')) out += `warning: ${displayLine(warning)}\n`;
  out += `workspace: ${status.workspace}\n`;
  return out;
}
