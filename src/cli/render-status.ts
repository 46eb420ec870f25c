import type { RunStatus } from '../core/run/status.js';
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
  if (status.state === 'completed' && status.qa?.state === 'failed') return 'completed (QA failed)';
  if (status.state === 'completed' && status.noChanges === true) return 'completed (no changes)';
  return status.state;
}

/** The closing summary of `dispatch --wait`; reason, question and hint may come from the agent or a forge. */
export function renderFinal(status: RunStatus, color: boolean): string {
  const c = paint(color);
  const tone = status.state === 'completed' && status.qa?.state !== 'failed' ? c.green : status.state === 'blocked' ? c.yellow : c.red;
  let out = `${tone(stateLabel(status))}: ${status.agent} on ${status.repo}`;
  if (status.reason !== undefined) out += ` (${displayLine(status.reason)})`;
  out += '\n';
  if (status.question !== undefined) out += `question:\n${displayText(status.question).replace(/^/gm, '  ')}\n`;
  if (status.hint !== undefined) out += `hint: ${displayLine(status.hint)}\n`;
  if (status.qa !== undefined) {
    out += `QA: ${status.qa.state}${status.qa.reason === undefined ? '' : ` (${displayLine(status.qa.reason)})`}; log ${status.qa.log}\n`;
    if (status.qa.hint !== undefined) out += `QA hint: ${displayLine(status.qa.hint)}\n`;
  }
  out += `workspace: ${status.workspace}\n`;
  return out;
}
