import type { DispatchOptions } from '../cli/commands/dispatch.js';
import type { ReplayRequest } from '../run/manifest.js';
import type { PreparedDispatch } from './prepare-dispatch.js';

/** The request as it can be replayed: the repo by its clone URL, so it works from any directory. */
export function replayRequest(opts: DispatchOptions, prepared: PreparedDispatch, task: string | undefined): ReplayRequest {
  return {
    repo: prepared.repo.cloneUrl,
    task,
    agent: prepared.agent.spec,
    issue: opts.issue,
    pr: opts.pr,
    branch: opts.branch,
    tag: opts.tag,
    template: opts.template,
    persona: opts.persona,
    planTemplate: opts.planTemplate,
    var: opts.var,
    runtime: opts.runtime,
    gpu: opts.gpu,
  };
}
