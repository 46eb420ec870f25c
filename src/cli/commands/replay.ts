import { z } from 'zod';
import { usageError } from '../../core/errors.js';
import { readManifest } from '../../run/manifest.js';
import type { Deps } from '../deps.js';
import { parseOptions } from '../parse-options.js';
import { run as dispatch } from './dispatch.js';
import { resolveWorkspace } from './status.js';

export const replayOptions = z.object({
  args: z.array(z.string()).min(1, 'needs a workspace'),
  dryRun: z.boolean().default(false),
  wait: z.boolean().default(false),
  waitTimeout: z.coerce.number().int().positive().optional(),
  json: z.boolean().default(false),
  config: z.string().optional(),
});

/** Dispatch again exactly what a run's manifest recorded: same repo, target, agent, templates, task. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(replayOptions, raw, 'replay');
  const workspace = resolveWorkspace(opts.args[0] as string, deps);
  const manifest = readManifest(workspace);
  if (manifest === undefined) {
    throw usageError('no_manifest', `${workspace} has no manifest.json to replay`, 'replay works on workspaces made by a dispatch of this agentctl version or later');
  }
  return dispatch({ ...manifest.request, dryRun: opts.dryRun, wait: opts.wait, waitTimeout: opts.waitTimeout, json: opts.json, config: opts.config }, deps);
}
