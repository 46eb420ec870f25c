import type { Target } from '../names.js';
import type { RunStatus } from '../run/status.js';

export type ForgeKind = 'github' | 'forgejo' | 'gitea';

export const RUNNING_LABEL = 'agentctl: running';
export const BLOCKED_LABEL = 'agentctl: blocked';
/** Hidden marker that finds agentctl's own comments again, so they are edited, not repeated. */
export const SUMMARY_MARKER = '<!-- agentctl:summary -->';
export const REVIEW_MARKER = '<!-- agentctl:review -->';
export const QUESTION_MARKER = '<!-- agentctl:question -->';

export type ForgeAction =
  | { op: 'stopwatch-start' }
  | { op: 'stopwatch-stop' }
  | { op: 'add-label'; label: string }
  | { op: 'remove-label'; label: string }
  | { op: 'upsert-comment'; marker: string; body: string }
  | { op: 'post-comment'; body: string };

/** The issue or PR number a run reports to, if any. */
export function forgeNumber(target: Target): number | undefined {
  return target.kind === 'issue' || target.kind === 'pr' ? target.number : undefined;
}

/**
 * When a run starts: Forgejo/Gitea start the issue's stopwatch; GitHub,
 * which has none, shows a label while the run lasts.
 */
export function startActions(kind: ForgeKind): ForgeAction[] {
  return kind === 'github' ? [{ op: 'add-label', label: RUNNING_LABEL }] : [{ op: 'stopwatch-start' }];
}

function formatElapsed(status: RunStatus): string {
  if (status.startedAt === undefined || status.finishedAt === undefined) return 'unknown';
  const seconds = Math.max(0, Math.round((new Date(status.finishedAt).getTime() - new Date(status.startedAt).getTime()) / 1000));
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`;
}

export function qaLine(status: RunStatus): string {
  const qa = status.qa;
  if (qa === undefined) return 'not run';
  if (qa.state === 'failed') return `failed${qa.failedCommand === undefined ? '' : ` (\`${qa.failedCommand}\`)`}`;
  if (qa.state === 'skipped') return 'skipped';
  return `passed (${qa.commands.map((c) => `\`${c}\``).join(', ')})`;
}

/** The one summary comment of a run, edited in place on later runs. */
export function summaryComment(status: RunStatus, extra: { pullUrl?: string | undefined } = {}): string {
  const outcome = status.state === 'completed' && status.qa?.state === 'failed' ? 'completed, QA failed' : status.state;
  const lines = [
    SUMMARY_MARKER,
    `**agentctl**: \`${status.agent}\` run ${status.runCount} ${outcome}${status.reason === undefined ? '' : ` (${status.reason})`}.`,
    '',
    `| | |`,
    `|---|---|`,
    `| agent | \`${status.agent}\` |`,
    `| outcome | ${outcome} |`,
    `| elapsed | ${formatElapsed(status)} |`,
    `| QA | ${qaLine(status)} |`,
  ];
  if (extra.pullUrl !== undefined) lines.push(`| pull request | ${extra.pullUrl} |`);
  return `${lines.join('\n')}\n`;
}

export function questionComment(status: RunStatus): string {
  return `${QUESTION_MARKER}\n**agentctl**: \`${status.agent}\` is blocked and asks:\n\n${(status.question ?? '').replace(/^/gm, '> ')}\n\nReply here, then run \`agentctl answer ${status.workspace} --from-forge\`.\n`;
}

/**
 * When a run is finished, whatever the outcome: stop the stopwatch (or drop
 * the running label and leave one summary comment on GitHub); a blocked run
 * posts its question and is labelled.
 */
export function finishActions(kind: ForgeKind, status: RunStatus, extra: { pullUrl?: string | undefined } = {}): ForgeAction[] {
  const actions: ForgeAction[] =
    kind === 'github'
      ? [
          { op: 'remove-label', label: RUNNING_LABEL },
          { op: 'upsert-comment', marker: SUMMARY_MARKER, body: summaryComment(status, extra) },
        ]
      : [{ op: 'stopwatch-stop' }];
  if (status.state === 'blocked') {
    actions.push({ op: 'post-comment', body: questionComment(status) }, { op: 'add-label', label: BLOCKED_LABEL });
  } else {
    actions.push({ op: 'remove-label', label: BLOCKED_LABEL });
  }
  return actions;
}

export interface ContextIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
}

export interface ContextComment {
  author: string;
  body: string;
  createdAt: string;
}

const MAX_CONTEXT_CHARS = 32 * 1024;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n[…truncated]` : text;
}

/** The forge's issue, as the prompt's {{context}}: title, labels, body and the newest comments. */
export function issueContext(issue: ContextIssue, comments: readonly ContextComment[]): string {
  const parts = [`Issue #${issue.number}: ${issue.title}`];
  if (issue.labels.length > 0) parts.push(`Labels: ${issue.labels.join(', ')}`);
  parts.push('', clip(issue.body.trim() || '(no description)', 16 * 1024));
  if (comments.length > 0) {
    parts.push('', `Recent comments (${comments.length}, oldest first):`);
    for (const comment of comments) parts.push('', `--- ${comment.author} at ${comment.createdAt}:`, clip(comment.body.trim(), 4 * 1024));
  }
  return clip(parts.join('\n'), MAX_CONTEXT_CHARS);
}

export interface ContextPull {
  number: number;
  title: string;
  body: string;
  base: string;
  head: string;
}

/** The forge's pull request, as the prompt's {{context}}: title, base/head, body and the changed files. */
export function pullContext(pull: ContextPull, files: readonly string[]): string {
  const shown = files.slice(0, 300);
  const parts = [
    `Pull request #${pull.number}: ${pull.title}`,
    `Base: ${pull.base}  Head: ${pull.head}`,
    '',
    clip(pull.body.trim() || '(no description)', 16 * 1024),
    '',
    `Changed files (${files.length}):`,
    ...shown.map((file) => `- ${file}`),
  ];
  if (files.length > shown.length) parts.push(`- … and ${files.length - shown.length} more`);
  return clip(parts.join('\n'), MAX_CONTEXT_CHARS);
}

/** Title and body of the PR opened after a successful run. */
export function pullRequestText(status: RunStatus, target: Target, issueTitle: string | undefined): { title: string; body: string } {
  const number = forgeNumber(target);
  const title = issueTitle ?? (number === undefined ? `agentctl: ${status.agent} changes` : `Fix #${number}`);
  const lines = [number !== undefined && target.kind === 'issue' ? `Closes #${number}` : '', '', `Made by \`${status.agent}\` through agentctl.`, '', `QA: ${qaLine(status)}`];
  return { title, body: `${lines.join('\n').trim()}\n` };
}

/** A review's verdict line, as the review template asks for it. */
export function reviewVerdict(text: string): 'approve' | 'request-changes' | undefined {
  const match = /^\s*VERDICT:\s*(approve|request-changes)\s*$/im.exec(text);
  return match === null ? undefined : (match[1]?.toLowerCase() as 'approve' | 'request-changes');
}
