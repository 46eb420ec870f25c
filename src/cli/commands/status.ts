import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ExitCode, usageError } from '../../core/errors.js';
import type { RunStatus } from '../../core/run/status.js';
import { reconcileRun } from '../../run/finish-run.js';
import { listWorkspaces, readStatus, statusPath } from '../../run/status-store.js';
import { stateHome, type Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { parseOptions } from '../parse-options.js';
import { elapsedSeconds, formatDuration, stateLabel } from '../render-status.js';

export const statusOptions = z.object({
  args: z.array(z.string()).default([]),
  json: z.boolean().default(false),
  config: z.string().optional(),
});

/** A workspace given as a path, or as org/repo/slot under $AGENTCTL_HOME/workspace. */
export function resolveWorkspace(arg: string, deps: Deps): string {
  const home = stateHome(deps);
  const candidates = [resolve(deps.cwd, arg), join(home, 'workspace', arg)];
  const found = candidates.find((path) => existsSync(statusPath(path)) || existsSync(join(path, '.meta')));
  if (found === undefined) {
    throw usageError('unknown_workspace', `no workspace ${JSON.stringify(arg)}`, `pass a path printed by dispatch, or org/repo/slot; "agentctl status" lists them all`);
  }
  return found;
}

export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(statusOptions, raw, 'status');
  const { config } = await loadConfigFor(deps, opts.config);
  const home = stateHome(deps);
  const workspaces = opts.args[0] === undefined ? listWorkspaces(home) : [resolveWorkspace(opts.args[0], deps)];
  const statuses = workspaces.map((ws) => readStatus(ws)).filter((s): s is RunStatus => s !== undefined);
  const needEngines = statuses.some((s) => s.state === 'running');
  if (needEngines) {
    const runtimes = await deps.runtimes(config);
    const ctx = { config, runtimes, env: deps.env, home, clock: deps.clock, user: deps.user, notify: (line: string) => deps.io.err(`${line}\n`) };
    for (const [index, status] of statuses.entries()) {
      if (status.state !== 'running') continue;
      try {
        statuses[index] = (await reconcileRun(status.workspace, ctx)) ?? status;
      } catch (error) {
        deps.io.err(`warning: could not check ${status.workspace}: ${(error as Error).message}\n`);
      }
    }
  }
  const now = deps.clock.now();
  if (opts.json) {
    deps.io.out(`${JSON.stringify({ runs: statuses.map((s) => ({ ...s, elapsedSeconds: elapsedSeconds(s, now) ?? null })) }, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (statuses.length === 0) {
    deps.io.err('no runs yet; start one with: agentctl dispatch --repo org/name --issue N\n');
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
    s.question?.split('\n')[0]?.slice(0, 60) ?? s.reason ?? '',
  ]);
  const header = ['WORKSPACE', 'STATE', 'AGENT', 'RUNTIME', 'ELAPSED', 'QA', 'NOTE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ')}`.trimEnd();
  deps.io.out(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  return ExitCode.ok;
}
