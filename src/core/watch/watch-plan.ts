import type { WatchRoute } from '../config/schema.js';
import type { RunStatus } from '../run/status.js';
import { isTerminal } from '../run/status.js';

/** Hidden marker on the watcher's own comments: never taken for a reply to a question (see answer-plan). */
export const WATCH_MARKER = '<!-- agentctl:watch -->';

/** The labels a claimed issue moves through: ready -> running -> done | blocked | failed. */
export interface WatchLabels {
  ready: string;
  running: string;
  done: string;
  blocked: string;
  failed: string;
}

export type WatchOutcome = 'done' | 'blocked' | 'failed';

/**
 * The route's labels: each one configured under `labels:`, else the route's
 * label with its last word ("ready" in "agent:ready") replaced by the state,
 * else the state appended after a colon ("queue" -> "queue:running").
 */
export function watchLabels(route: Pick<WatchRoute, 'label' | 'labels'>): WatchLabels {
  const derive = (state: string) => {
    const match = /^(.*[^A-Za-z0-9])?ready$/i.exec(route.label);
    return match === null ? `${route.label}:${state}` : `${match[1] ?? ''}${state}`;
  };
  return {
    ready: route.label,
    running: route.labels?.running ?? derive('running'),
    done: route.labels?.done ?? derive('done'),
    blocked: route.labels?.blocked ?? derive('blocked'),
    failed: route.labels?.failed ?? derive('failed'),
  };
}

const has = (labels: readonly string[], name: string) => labels.some((l) => l.toLowerCase() === name.toLowerCase());

/** The forge side of a claim: take an issue only while it still carries the ready label and no other watcher's running label. */
export function claimable(labels: readonly string[], names: WatchLabels): boolean {
  return has(labels, names.ready) && !has(labels, names.running);
}

/** One issue of one route's repo, the key of its claim in agentctl's state. */
export function claimKey(forge: string, owner: string, repo: string, on: WatchRoute['on'], number: number): string {
  return `${forge}/${owner}/${repo}/${on === 'pull_request' ? 'pr' : 'issue'}/${number}`;
}

/**
 * How a run ended, as agentctl recorded it on the host (never the agent's
 * words): completed with QA not failed is done; blocked waits for an answer;
 * everything else (failed, cancelled, QA failed) is failed. Undefined while
 * it is still queued or running.
 */
export function outcomeOf(status: Pick<RunStatus, 'state' | 'qa'>): WatchOutcome | undefined {
  if (!isTerminal(status.state)) return undefined;
  if (status.state === 'blocked') return 'blocked';
  if (status.state === 'completed' && status.qa?.state !== 'failed') return 'done';
  return 'failed';
}

/** A step of a claimed issue: taken, answered (running again), or ended one way. */
export type Transition = 'claim' | 'answered' | WatchOutcome;

/**
 * The label to add and those to remove for a step. An outcome leaves the
 * ready label alone: a person who puts it back asks for another run.
 */
export function labelMove(names: WatchLabels, step: Transition): { add: string; remove: string[] } {
  switch (step) {
    case 'claim':
      return { add: names.running, remove: [names.ready] };
    case 'answered':
      return { add: names.running, remove: [names.blocked] };
    case 'blocked':
      return { add: names.blocked, remove: [names.running] };
    default:
      return { add: names[step], remove: [names.running, names.blocked] };
  }
}

/** The watcher's comment on an ended run: outcome and reason as agentctl recorded them, and the PR. */
export function outcomeComment(status: Pick<RunStatus, 'state' | 'reason' | 'agent' | 'workspace' | 'runCount' | 'pullRequest' | 'qa'>, outcome: WatchOutcome): string {
  const lines = [WATCH_MARKER, `**agentctl watch**: run ${status.runCount} of \`${status.agent}\` ended **${status.state}**${status.qa?.state === 'failed' ? ' (QA failed)' : ''}: ${outcome}.`];
  if (status.reason !== undefined) lines.push('', `Reason: ${oneLine(status.reason)}`);
  if (status.pullRequest !== undefined) lines.push('', `Pull request: ${status.pullRequest.url}`);
  if (outcome === 'blocked') lines.push('', 'Reply to the question above (as the dispatching account or a collaborator with write access) and the run resumes.');
  return `${lines.join('\n')}\n`;
}

/** The comment when a claimed issue could not be dispatched at all: agentctl's own error, bounded. */
export function dispatchFailedComment(message: string): string {
  return `${WATCH_MARKER}\n**agentctl watch** could not dispatch this: ${oneLine(message)}\n`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 500 ? `${flat.slice(0, 497)}...` : flat;
}

/** Longest wait between two polls of a failing route. */
export const MAX_BACKOFF_SECONDS = 15 * 60;

/** Seconds until the next poll: the route's interval, doubled per failure in a row, capped (but never below the interval). */
export function nextPollSeconds(pollSeconds: number, failures: number): number {
  if (failures <= 0) return pollSeconds;
  return Math.max(pollSeconds, Math.min(pollSeconds * 2 ** failures, MAX_BACKOFF_SECONDS));
}
