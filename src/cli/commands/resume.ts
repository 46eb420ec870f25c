import { claudeResumeArgv, MAX_PROMPT_ARG_BYTES } from '../../core/agents/agent-argv.js';
import { AgentctlError, ExitCode, usageError } from '../../core/errors.js';
import { withAgentArgv } from '../../core/run/run-plan.js';
import { readJob, type Job } from '../../run/job-store.js';
import { reconcileRun } from '../../run/finish-run.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { resumeOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';
import { submitJob } from '../submit-job.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';

/** The job of a finished claude run, changed to continue its session with a new task. */
export function resumeJob(job: Job, sessionId: string, task: string, timeoutSeconds: number): Job {
  const agentArgv = claudeResumeArgv(job.agentArgv, sessionId, task);
  // Its dependencies let it start once; a resumed session waits for nothing.
  return { ...job, agentArgv, timeoutSeconds, run: withAgentArgv(job.run, agentArgv, { stdin: false }), after: undefined };
}

export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(resumeOp.input, raw, 'resume');
  if (Buffer.byteLength(opts.task) > MAX_PROMPT_ARG_BYTES) {
    throw usageError('task_too_large', `the --task text is ${Buffer.byteLength(opts.task)} bytes; resume takes at most ${MAX_PROMPT_ARG_BYTES}`, 'shorten it');
  }
  const workspace = resolveWorkspace(opts.args[0] as string, deps);
  const { config } = await loadConfigFor(deps, opts.config);
  const ctx = await runContextFor(deps, config);
  // A run whose agent has ended but that nobody finished yet is finished first.
  const status = await reconcileRun(workspace, ctx);
  const job = readJob(workspace);
  if (status === undefined || job === undefined) {
    throw usageError('nothing_to_resume', `${workspace} has no finished run to resume`, 'dispatch a run first');
  }
  if (status.state === 'running' || status.state === 'queued') {
    throw usageError('still_active', `the run in ${workspace} is still ${status.state}`, `wait for it, or "agentctl cancel ${workspace}" first`);
  }
  if (job.agentBase !== 'claude' || status.sessionId === undefined) {
    throw new AgentctlError('resume_unsupported', `the run in ${workspace} (${status.agent}) has no session to resume`, {
      exitCode: ExitCode.usage,
      hint: 'resume continues claude sessions; for other agents dispatch again with a new --task',
    });
  }
  const next = resumeJob(job, status.sessionId, opts.task, opts.timeout ?? job.timeoutSeconds);
  return submitJob(next, `${next.agent} (resuming session ${status.sessionId})`, ctx, deps, opts);
}
