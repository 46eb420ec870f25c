import { ExitCode } from '../../core/errors.js';
import type { RunStatusJson } from '../json-shapes.js';
import { cancelRun } from '../../service/cancel-run.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { cancelOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';

/** A queued run becomes cancelled; a running one is stopped (SIGTERM, grace, SIGKILL) and marked cancelled. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(cancelOp.input, raw, 'cancel');
  const workspace = resolveWorkspace(opts.args[0] as string, deps);
  const { config } = await loadConfigFor(deps, opts.config);
  const final = await cancelRun(workspace, await runContextFor(deps, config));
  // null, not a bare `undefined` that no JSON parser takes, when the stop found nothing left to record.
  const out: RunStatusJson | null = final ?? null;
  deps.io.out(opts.json ? `${JSON.stringify(out, null, 2)}\n` : `cancelled ${workspace}\n`);
  return ExitCode.ok;
}
