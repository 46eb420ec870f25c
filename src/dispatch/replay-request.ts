import type { ReplayRequest } from '../run/manifest.js';
import type { PreparedDispatch } from './prepare-dispatch.js';

/** The dispatch options that name what to replay (the CLI's parsed options have at least these). */
export type ReplayOptions = Omit<ReplayRequest, 'repo' | 'task' | 'agent'>;

/** The request as it can be replayed: the repo by its clone URL, so it works from any directory. */
export function replayRequest(opts: ReplayOptions, prepared: PreparedDispatch, task: string | undefined): ReplayRequest {
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
