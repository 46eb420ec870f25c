import { readFileSync } from 'node:fs';
import { hostAgentWarning } from '../core/agents/agent-sandbox.js';
import { agentMounts, FALLBACK_AGENT_USER, LABEL_PREFIX } from '../core/container/container-spec.js';
import { repoReadOnly } from '../core/run/read-only-target.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { RunStatus } from '../core/run/status.js';
import { lendWorkspace } from '../fs/chown-tree.js';
import { appendUntrusted } from '../fs/untrusted-file.js';
import { startActions } from '../core/forge/forge-plan.js';
import { recordEvent } from './events.js';
import { applyForgeActions } from './forge-hooks.js';
import { crashPoint } from './faults.js';
import type { Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { runFiles } from './run-files.js';
import { withFinishLock } from './finish-lock.js';
import { readStatus, writeStatus } from './status-store.js';
import { readWorkspaceRecord } from '../workspace/prepare-workspace.js';

export const RUN_LABEL = `${LABEL_PREFIX}.run`;

export function alreadyRunning(workspace: string): AgentctlError {
  return new AgentctlError('already_running', `an agent is already running in ${workspace}`, {
    exitCode: ExitCode.usage,
    hint: `follow it with "agentctl status ${workspace}", or stop it with "agentctl cancel ${workspace}"`,
  });
}

function hostEnv(ctx: RunContext): Record<string, string> {
  const { name, email } = ctx.config.git;
  return { NO_COLOR: '1', CI: 'true', TERM: 'dumb', GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}

/** The pid a host wrapper recorded for itself, if it got that far. */
export function recordedPid(workspace: string): number | undefined {
  try {
    const text = readFileSync(runFiles(workspace, '', false).pid, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start the agent of a job whose slot has been claimed (status `running`
 * without a container or pid yet), then record where it runs. A failure to
 * start ends the run as failed, so the slot is freed.
 */
export async function launchRun(job: Job, claimed: RunStatus, ctx: RunContext, head?: string): Promise<RunStatus> {
  const workspace = job.workspace;
  const files = runFiles(workspace, job.agentBase, false);
  // The log is in the outbox, where an earlier run could have left a link in its place.
  appendUntrusted(files.log, `=== agentctl run ${claimed.runCount}: ${job.agent} started ${claimed.startedAt ?? ''} ===\n`);
  // From agentctl's own record: git never runs in the agent's checkout.
  const startCommit = head ?? readWorkspaceRecord(workspace)?.commit;
  let status: RunStatus;
  try {
    if (job.run.kind === 'container') {
      // A job queued by an agentctl before the hardening has none to give: it must not run without it.
      if ((job.run.spec as Partial<typeof job.run.spec>).hardening === undefined) {
        throw new AgentctlError('job_outdated', 'this job was queued by an older agentctl, without the container hardening', {
          exitCode: ExitCode.usage,
          hint: `dispatch it again: "agentctl replay ${workspace}"`,
        });
      }
      if (ctx.user.uid === 0 && job.run.spec.user === FALLBACK_AGENT_USER) {
        // Root may not run the agent, so the agent user borrows the workspace until the run is finished.
        const [uid, gid] = FALLBACK_AGENT_USER.split(':').map(Number) as [number, number];
        lendWorkspace(workspace, uid, gid);
      }
      const runtime = await ctx.runtimes.get(job.run.runtime);
      // One name per run: a container of an earlier run that could not be removed must not block this one.
      // The mounts are always this workspace's agent view, whatever an older job recorded.
      const spec = {
        ...job.run.spec,
        mounts: agentMounts(workspace, repoReadOnly(job)),
        name: `${job.run.spec.name}-${claimed.runCount}`,
        labels: { ...job.run.spec.labels, [RUN_LABEL]: String(claimed.runCount) },
      };
      const { id } = await runtime.start(spec, ctx.env);
      crashPoint('after-start', ctx.env);
      status = { ...claimed, containerId: id, claimedBy: undefined, startCommit };
    } else {
      const { pid } = await ctx.runtimes.host.start({ argv: job.run.argv, cwd: job.run.cwd, passEnv: job.envPassed, fixedEnv: hostEnv(ctx) }, ctx.env);
      crashPoint('after-start', ctx.env);
      // The status (and so --json and the final summary) and the events say that this run had no sandbox.
      const warning = hostAgentWarning(job.agentBase);
      recordEvent(ctx.home, { type: 'warning', at: ctx.clock.now().toISOString(), workspace, message: warning });
      status = { ...claimed, pid, claimedBy: undefined, startCommit, warnings: [...claimed.warnings, warning] };
    }
  } catch (error) {
    const failed: RunStatus = {
      ...claimed,
      state: 'failed',
      claimedBy: undefined,
      reason: `could not start the agent: ${(error as Error).message}`,
      finishedAt: ctx.clock.now().toISOString(),
    };
    writeStatus(failed);
    recordEvent(ctx.home, { type: 'finished', at: failed.finishedAt as string, workspace, agent: job.agent, state: 'failed', reason: failed.reason });
    throw error;
  }
  if (job.forge !== undefined) {
    const warnings = await applyForgeActions(job.forge, startActions(job.forge.kind), workspace, ctx);
    status = { ...status, warnings: [...status.warnings, ...warnings] };
  }
  const started = status;
  // Meanwhile another process may have found the agent by its labels, adopted it, even
  // finished its run: only a claim that is still unrecorded is overwritten.
  const recorded = await withFinishLock(workspace, true, async () => {
    const current = readStatus(workspace);
    if (!stillClaimed(current, claimed)) return current;
    writeStatus(started);
    return started;
  });
  recordEvent(ctx.home, {
    type: 'started',
    at: status.startedAt as string,
    workspace,
    agent: status.agent,
    runtime: status.runtime,
    runCount: status.runCount,
    ...(status.containerId === undefined ? { pid: status.pid } : { containerId: status.containerId }),
  });
  return recorded ?? status;
}

function stillClaimed(current: RunStatus | undefined, claimed: RunStatus): boolean {
  return current?.state === 'running' && current.runCount === claimed.runCount && current.containerId === undefined && current.pid === undefined;
}
