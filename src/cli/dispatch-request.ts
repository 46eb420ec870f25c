import { parseVars } from '../core/prompt/render-template.js';
import type { DispatchRequest } from '../dispatch/prepare-dispatch.js';
import type { DispatchOptions } from './commands/dispatch.js';

/** What to prepare, from a dispatch's options (the command line's, or a chain task's). */
export function dispatchRequest(opts: DispatchOptions, task: string | undefined): DispatchRequest {
  return {
    repo: opts.repo,
    task,
    agent: opts.agent,
    issue: opts.issue,
    pr: opts.pr,
    branch: opts.branch,
    tag: opts.tag,
    org: opts.org,
    template: opts.template,
    persona: opts.persona,
    planTemplate: opts.planTemplate,
    vars: parseVars(opts.var),
    runtime: opts.runtime,
    gpu: opts.gpu,
    maxBudgetUsd: opts.maxBudgetUsd,
  };
}
