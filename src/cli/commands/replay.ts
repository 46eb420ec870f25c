import { usageError } from '../../core/errors.js';
import { readManifest } from '../../run/manifest.js';
import type { Deps } from '../deps.js';
import { replayOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { dispatchOp } from '../operations/runs.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';

/** Dispatch again exactly what a run's manifest recorded: same repo, target, agent, templates, task. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(replayOp.input, raw, 'replay');
  const workspace = resolveWorkspace(opts.args[0] as string, deps);
  const manifest = readManifest(workspace);
  if (manifest === undefined) {
    throw usageError('no_manifest', `${workspace} has no manifest.json to replay`, 'replay works on workspaces made by a dispatch of this agentctl version or later');
  }
  // Through the dispatch operation, not its module: commands never import each other.
  const dispatch = await dispatchOp.command();
  return dispatch.run({ ...manifest.request, dryRun: opts.dryRun, wait: opts.wait, waitTimeout: opts.waitTimeout, json: opts.json, config: opts.config }, deps);
}
