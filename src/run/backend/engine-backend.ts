import { agentMounts, DEFAULT_IMAGE, FALLBACK_AGENT_USER, LABEL_PREFIX } from '../../core/container/container-spec.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentctlError, ExitCode } from '../../core/errors.js';
import { planImage } from '../../core/run/run-plan.js';
import { repoReadOnly } from '../../core/run/read-only-target.js';
import { lendWorkspace } from '../../fs/chown-tree.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { imageCliVersion } from '../cli-version.js';
import { collectAgentWork } from '../collect-work.js';
import type { Job } from '../job-store.js';
import type { RunContext } from '../run-context.js';
import { RUN_LEFTOVERS, type AgentBackend, type Outbox } from './agent-backend.js';
import { qaSandboxOn } from './container-start.js';
import { agentName, HOME_LABEL, homeId } from '../home-id.js';
import { exitCodeIn } from './exit-code.js';
import { localOutbox } from './local-outbox.js';

/** The label that tells one run's container from an earlier run's in the same workspace. */
export const RUN_LABEL = `${LABEL_PREFIX}.run`;
const WORKSPACE_LABEL = `${LABEL_PREFIX}.workspace`;

const [AGENT_UID, AGENT_GID] = FALLBACK_AGENT_USER.split(':').map(Number) as [number, number];

/**
 * Agents in containers of an engine on this machine: the workspace's repo/,
 * outbox/ and inbox/ are bind mounts, so the outbox is read, and the work
 * collected, from the workspace itself.
 */
export function engineBackend(engine: ContainerRuntime, ctx: RunContext): AgentBackend {
  const outbox = (workspace: string, agentBase: string): Outbox => localOutbox(workspace, agentBase);
  return {
    runtime: engine.name,

    async cliVersion(plan, cli, workspace, imageId) {
      const image = planImage(plan);
      return image === undefined || imageId === undefined ? undefined : imageCliVersion(engine, image, imageId, cli, workspace, ctx.home, ctx.env);
    },

    clearLeftovers: (workspace) => outbox(workspace, '').clear(RUN_LEFTOVERS),

    async start(job, runCount) {
      if (job.run.kind !== 'container') throw new Error(`the job in ${job.workspace} does not run in a container`);
      // A job queued by an agentctl before the hardening has none to give: it must not run without it.
      if ((job.run.spec as Partial<typeof job.run.spec>).hardening === undefined) {
        throw new AgentctlError('job_outdated', 'this job was queued by an older agentctl, without the container hardening', {
          exitCode: ExitCode.usage,
          hint: `dispatch it again: "agentctl replay ${job.workspace}"`,
        });
      }
      // Root may not run the agent, so the agent user borrows the workspace until the run is finished.
      if (ctx.user.uid === 0 && job.run.spec.user === FALLBACK_AGENT_USER) lendWorkspace(job.workspace, AGENT_UID, AGENT_GID);
      // The mounts are always this workspace's agent view, whatever an older job recorded.
      const spec = {
        ...job.run.spec,
        mounts: agentMounts(job.workspace, repoReadOnly(job)),
        name: agentName(job.run.spec.name, ctx.home, runCount),
        labels: { ...job.run.spec.labels, [RUN_LABEL]: String(runCount), [HOME_LABEL]: homeId(ctx.home) },
      };
      const { id } = await engine.start(spec, ctx.env);
      return { ref: { containerId: id }, warnings: [] };
    },

    async find(status) {
      const [found] = await engine.list({ [WORKSPACE_LABEL]: status.workspace, [RUN_LABEL]: String(status.runCount), [HOME_LABEL]: homeId(ctx.home) });
      if (found !== undefined) return { containerId: found.id };
      // Started, ended and removed by the engine before anyone recorded it: only its exit code is left.
      const exitCode = exitCodeIn(outbox(status.workspace, ''));
      return exitCode === undefined ? undefined : { exitCode };
    },

    async observe(status) {
      const container = status.containerId === undefined ? undefined : await engine.inspect(status.containerId);
      if (container?.running === true) return { phase: 'running' };
      if (container !== undefined && container.startedAt === undefined && container.exitCode === undefined) return { phase: 'created' };
      // A container the engine has removed took its exit code along; the wrapper left it in the outbox.
      return { phase: 'ended', exitCode: container?.exitCode ?? exitCodeIn(outbox(status.workspace, '')), killed: container?.killed ?? false };
    },

    settle: (status, ms) => (engine.died === undefined || status.containerId === undefined ? sleep(ms) : engine.died({ id: status.containerId }, ms)),

    async stop(ref, graceSeconds) {
      if (ref.containerId !== undefined) await engine.stop(ref.containerId, graceSeconds);
    },

    async remove(ref) {
      if (ref.containerId !== undefined) await engine.remove(ref.containerId);
    },

    async agents() {
      const found = await engine.list({ [RUN_LABEL]: true, [WORKSPACE_LABEL]: true, [HOME_LABEL]: homeId(ctx.home) });
      return found.flatMap((container) => {
        const workspace = container.labels[WORKSPACE_LABEL];
        const runCount = Number(container.labels[RUN_LABEL]);
        // Labels are ours (set at create), but read as data: a malformed one is no agent of a run.
        if (workspace === undefined || !Number.isSafeInteger(runCount)) return [];
        const running = container.running || (container.startedAt === undefined && container.exitCode === undefined);
        return [{ ref: { containerId: container.id }, workspace, runCount, running }];
      });
    },

    outbox,

    collectWork: (job, status) => collectAgentWork(job, status, ctx),

    async qaSandbox(status) {
      // The agent's own engine and image; the workspace is still lent to the agent user until release.
      return qaSandboxOn(engine, status.image ?? ctx.config.runtime.image ?? DEFAULT_IMAGE, false, status.workspace);
    },

    async release(status, job) {
      const warnings: string[] = [];
      // The engine removes the agent's container itself (see wrapContainerArgv); only a job
      // of an older agentctl still needs it done. That removal is slow (Podman: ~0.2 s),
      // so it runs beside the hand-back.
      const autoRemoved = job?.run.kind === 'container' && job.run.spec.autoRemove === true;
      const removed = status.containerId !== undefined && !autoRemoved ? removeContainer(engine, status.containerId) : Promise.resolve(undefined);
      const owner = status.owner;
      if (owner !== undefined && ctx.user.uid === 0) {
        try {
          lendWorkspace(status.workspace, owner.uid, owner.gid);
        } catch (error) {
          warnings.push(`could not hand the workspace back to uid ${owner.uid}: ${(error as Error).message}`);
        }
      }
      const removeWarning = await removed;
      if (removeWarning !== undefined) warnings.push(removeWarning);
      return warnings;
    },
  };
}

/** Remove a finished agent's container; a warning when that fails. */
async function removeContainer(engine: ContainerRuntime, id: string): Promise<string | undefined> {
  try {
    await engine.remove(id);
    return undefined;
  } catch (error) {
    return `could not remove container ${id}: ${(error as Error).message}`;
  }
}
