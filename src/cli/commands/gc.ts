import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, usageError } from '../../core/errors.js';
import { isTerminal } from '../../core/run/status.js';
import { listWorkspaces, readStatus } from '../../run/status-store.js';
import { stateHome, type Deps } from '../deps.js';
import { gcOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';
import { workspaceLayout } from '../../core/workspace/layout.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseAge(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match === null) throw usageError('invalid_age', `invalid --older-than ${JSON.stringify(text)}`, 'use a number and a unit: 30m, 12h, 7d');
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/** When a workspace stopped mattering: its run's end, or for a prepared-only workspace, its creation. */
function finishedAt(workspace: string): Date | undefined | 'live' {
  const status = readStatus(workspace);
  if (status !== undefined) {
    if (!isTerminal(status.state)) return 'live';
    return status.finishedAt === undefined ? undefined : new Date(status.finishedAt);
  }
  try {
    const record = JSON.parse(readFileSync(workspaceLayout(workspace).record, 'utf8')) as { createdAt?: string };
    if (record.createdAt !== undefined) return new Date(record.createdAt);
  } catch {
    // fall back to the directory's age
  }
  try {
    return statSync(workspace).mtime;
  } catch {
    return undefined;
  }
}

/** Remove finished workspaces older than a threshold; never queued or running ones, nor one a queued run waits for. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(gcOp.input, raw, 'gc');
  const age = parseAge(opts.olderThan);
  const cutoff = deps.clock.now().getTime() - age * 1000;
  const removed: string[] = [];
  const kept: string[] = [];
  const workspaces = listWorkspaces(stateHome(deps));
  // A finished run that a queued one waits for (dispatch --after) decides whether that one starts, and may be its start.
  const waitedFor = new Set(
    workspaces
      .map((workspace) => readStatus(workspace))
      .flatMap((status) => (status?.state === 'queued' ? (status.after ?? []) : [])),
  );
  for (const workspace of workspaces) {
    const when = finishedAt(workspace);
    if (waitedFor.has(workspace) || when === 'live' || when === undefined || when.getTime() > cutoff) {
      kept.push(workspace);
      continue;
    }
    if (!opts.dryRun) rmSync(workspace, { recursive: true, force: true });
    removed.push(workspace);
  }
  if (opts.json) deps.io.out(`${JSON.stringify({ dryRun: opts.dryRun, removed, kept }, null, 2)}\n`);
  else {
    deps.io.out(removed.map((w) => `${opts.dryRun ? 'would remove' : 'removed'} ${w}\n`).join(''));
    deps.io.err(`${removed.length} workspace(s) ${opts.dryRun ? 'would be ' : ''}removed, ${kept.length} kept\n`);
  }
  return ExitCode.ok;
}
