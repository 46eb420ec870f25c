import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { LABEL_PREFIX, DEFAULT_IMAGE } from '../../core/container/container-spec.js';
import { mergePlacement, observeTask, secretPayload, swarmServiceSpec } from '../../core/container/swarm-service.js';
import { AgentctlError, ExitCode } from '../../core/errors.js';
import { outboxFiles, workspaceLayout } from '../../core/workspace/layout.js';
import type { ContainerRuntime } from '../../runtime/runtime.js';
import { SERVICE_ID_LABEL, type SwarmManager } from '../../runtime/swarm-runtime.js';
import { collectAgentWork } from '../collect-work.js';
import type { Job } from '../job-store.js';
import type { RunContext } from '../run-context.js';
import type { AgentBackend, AgentObservation } from './agent-backend.js';
import { containerOwner, qaSandboxOn } from './container-start.js';
import { HOME_LABEL, homeId } from '../home-id.js';
import { engineBackend, RUN_LABEL } from './engine-backend.js';
import { exitCodeIn } from './exit-code.js';
import { courierRecord, receivedFile, stopFile, type Received } from './swarm-courier.js';
import { callbackHost, callbackUrl, startCourier, warmCourier } from './swarm-launch.js';

const WORKSPACE_LABEL = `${LABEL_PREFIX}.workspace`;
/** How long a courier lives past the run's own timeout (the task retries its upload for 10 minutes). */
const COURIER_SLACK_MS = 15 * 60_000;
/** After a stop, how long to wait for the task's trees to come back beyond the stop's grace. */
const STOP_UPLOAD_MS = 10_000;

/** Swarm names: services at most 63 characters, secrets 64; a hash keeps a long run id unique. */
function serviceName(name: string, workspace: string, runCount: number): string {
  const tag = createHash('sha256').update(`${workspace}\0${name}`).digest('hex').slice(0, 8);
  return `${name.slice(0, 40).replace(/[^a-zA-Z0-9-]/g, '-').replace(/-+$/, '')}-${tag}-${runCount}`;
}

function readReceived(file: string): Received | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Received;
  } catch {
    return undefined;
  }
}

/**
 * Agents as Docker Swarm jobs: one replicated-job service per run, with
 * restart policy none, on whichever node the swarm's scheduler picks. No
 * filesystem is shared with this machine or between nodes: a courier
 * (swarm-courier.ts) serves the workspace to the task over HTTP, takes the
 * live log and, at the end, outbox/ and repo/ back through the hostile
 * archive code; the token it checks and the agent's environment values
 * travel in a Swarm secret, never in the service spec. The service and its
 * secret carry the run's labels, so any later agentctl finds them again.
 */
export function swarmBackend(engine: ContainerRuntime, swarm: SwarmManager, ctx: RunContext): AgentBackend {
  const base = engineBackend(engine, ctx);

  /** The service and the run's secret (found by the run's labels: the service may be gone already) go; a failure is a warning. */
  async function removeRun(id: string, run: { workspace: string; runCount: number } | undefined): Promise<string[]> {
    const warnings: string[] = [];
    try {
      await swarm.removeService(id);
    } catch (error) {
      warnings.push(`could not remove swarm service ${id}: ${(error as Error).message}`);
    }
    const labels = run === undefined ? undefined : { [WORKSPACE_LABEL]: run.workspace, [RUN_LABEL]: String(run.runCount), [HOME_LABEL]: homeId(ctx.home) };
    // The secret goes beside the container; the task's tmpfs volumes (which carry the run's labels) only once the container is gone.
    await Promise.all([
      removeTaskContainers(id, ctx.config.timeouts.grace).then(async (failed) => {
        warnings.push(...failed);
        if (labels !== undefined) await swarm.removeVolumes(labels).catch((error: unknown) => warnings.push(`could not remove the scratch volumes of ${id}: ${(error as Error).message}`));
      }),
      labels === undefined ? undefined : swarm.removeSecrets(labels).catch((error: unknown) => warnings.push(`could not remove the swarm secret of ${id}: ${(error as Error).message}`)),
    ]);
    return warnings;
  }

  /** The service's task containers on the manager's own engine (see the README's Swarm limits); a failure is a warning. */
  async function removeTaskContainers(serviceId: string, graceSeconds: number): Promise<string[]> {
    try {
      await swarm.removeTaskContainers(serviceId, graceSeconds);
      return [];
    } catch (error) {
      return [`could not remove the task container of swarm service ${serviceId}: ${(error as Error).message}`];
    }
  }

  /** Which run a service belongs to, from the labels agentctl gave it at create. */
  function runOf(labels: Record<string, string>): { workspace: string; runCount: number } | undefined {
    const workspace = labels[WORKSPACE_LABEL];
    const runCount = Number(labels[RUN_LABEL]);
    return workspace === undefined || !Number.isSafeInteger(runCount) ? undefined : { workspace, runCount };
  }

  return {
    ...base,
    runtime: 'swarm',

    // The version probe would need a job of its own: the manifest goes without it.
    cliVersion: async () => undefined,

    // The courier's process boots while the workspace is prepared.
    warm: warmCourier,

    async start(job: Job, runCount: number) {
      if (job.run.kind !== 'container') throw new Error(`the job in ${job.workspace} does not run in a container`);
      const run = job.run.spec;
      if ((run as Partial<typeof run>).hardening === undefined) {
        throw new AgentctlError('job_outdated', 'this job was queued by an older agentctl, without the container hardening', {
          exitCode: ExitCode.usage,
          hint: `dispatch it again: "agentctl replay ${job.workspace}"`,
        });
      }
      if (run.hardening.network === 'none') {
        throw new AgentctlError('swarm_network', `${job.agentBase} has runtime.network "none", but a swarm task fetches its workspace from agentctl over the network`, {
          exitCode: ExitCode.config,
          hint: 'run this agent on a local or remote engine (--runtime docker or podman), or give it network "bridge"',
        });
      }
      const name = serviceName(run.name, job.workspace, runCount);
      const labels = { ...run.labels, [RUN_LABEL]: String(runCount), [HOME_LABEL]: homeId(ctx.home) };
      const spec = { ...run, name, labels, mounts: [], configMounts: [] };
      const token = randomBytes(32).toString('base64url');
      const host = callbackHost(ctx.config.runtime.swarm.callback_address);
      // No timeout (0): a week, after which nobody still waits for the task's trees.
      const timeoutMs = (job.timeoutSeconds > 0 ? job.timeoutSeconds : 7 * 86_400) * 1000;
      // The agent's keys by name: their values go only into the secret.
      const values = Object.fromEntries(spec.env.flatMap((entry) => (entry.value === undefined && ctx.env[entry.name] !== undefined ? [[entry.name, ctx.env[entry.name]!]] : [])));
      const secretName = `${name}-run`;
      // The courier's start (a Node process) and the secret's creation overlap: only the service needs both.
      const [courier, made] = await Promise.allSettled([
        startCourier({
          workspace: job.workspace,
          runCount,
          logFile: outboxFiles(workspaceLayout(job.workspace).outbox, job.agentBase).log,
          token,
          bind: host,
          owner: containerOwner(spec.user),
          deadline: Date.now() + timeoutMs + COURIER_SLACK_MS,
        }),
        swarm.createSecret(secretName, labels, secretPayload(token, values)),
      ]);
      const secret = made.status === 'fulfilled' ? { id: made.value.id, name: secretName } : undefined;
      try {
        if (courier.status === 'rejected') throw courier.reason;
        if (made.status === 'rejected') throw made.reason;
        const port = courier.value;
        const placement = mergePlacement(ctx.config.runtime.swarm, ctx.config.pools[job.pool]?.swarm, ctx.config.agents[job.agentBase]?.swarm);
        const { id } = await swarm.createService(swarmServiceSpec({ spec, callbackUrl: callbackUrl(host, port), secret: { id: made.value.id, name: secretName }, placement, graceSeconds: ctx.config.timeouts.grace }));
        const warnings =
          run.configMounts.length > 0 ? [`the agent's credential files stay on this machine: a swarm task gets only the environment variables named for the agent`] : [];
        return { ref: { containerId: id }, warnings };
      } catch (error) {
        rmSync(courierRecord(job.workspace, runCount), { force: true });
        if (secret !== undefined) await swarm.removeSecret(secret.name).catch(() => undefined);
        throw error;
      }
    },

    async find(status) {
      const [found] = await swarm.services({ [WORKSPACE_LABEL]: status.workspace, [RUN_LABEL]: String(status.runCount), [HOME_LABEL]: homeId(ctx.home) });
      if (found !== undefined) return { containerId: found.id };
      const exitCode = exitCodeIn(base.outbox(status.workspace, ''));
      return exitCode === undefined ? undefined : { exitCode };
    },

    async observe(status): Promise<AgentObservation> {
      const id = status.containerId;
      const service = id === undefined ? undefined : await swarm.service(id);
      if (id === undefined || service === undefined) return { phase: 'ended', exitCode: exitCodeIn(base.outbox(status.workspace, '')), killed: false };
      // Trees back are not the end: the agent can send them (and an exit code) early and run on, and a task
      // let go while it runs lives on, on any node but the manager's. The run ends when the task does.
      const seen = observeTask(await swarm.task(id));
      if (seen.phase === 'running') return seen;
      // The task's own exit code first (the engine's), then what came back in outbox/exit-code.
      return { ...seen, exitCode: seen.exitCode ?? (seen.lost === undefined ? exitCodeIn(base.outbox(status.workspace, '')) : undefined) };
    },

    // The task's container dies on the manager's own engine, or on another node, where only the manager's report tells.
    settle: (status, ms) => (status.containerId === undefined || engine.died === undefined ? sleep(ms) : engine.died({ labels: { [SERVICE_ID_LABEL]: status.containerId } }, ms)),

    async stop(ref, graceSeconds) {
      if (ref.containerId === undefined) return;
      const service = await swarm.service(ref.containerId);
      if (service === undefined) return;
      const run = runOf(service.labels);
      const running = (await swarm.task(ref.containerId))?.state === 'running';
      // Swarm (20.10) leaves a removed job's task running: the task hears the stop from its courier, gives
      // the agent its grace, and sends its trees back; then the service goes (the engine's stop is the backstop).
      // Trees sent before the stop may be an early send of an agent that runs on: the wait is for those the stopped task sends.
      if (run !== undefined && running) for (const part of ['outbox', 'repo'] as const) rmSync(receivedFile(run.workspace, run.runCount, part), { force: true });
      if (run !== undefined) writeFileSync(stopFile(run.workspace, run.runCount), '', { mode: 0o600 });
      if (run !== undefined && running) {
        const until = performance.now() + graceSeconds * 1000 + STOP_UPLOAD_MS;
        while (performance.now() < until && readReceived(receivedFile(run.workspace, run.runCount, 'repo')) === undefined) await sleep(200);
      }
      await swarm.removeService(ref.containerId);
      await removeTaskContainers(ref.containerId, graceSeconds);
    },

    async remove(ref) {
      if (ref.containerId === undefined) return;
      const service = await swarm.service(ref.containerId);
      await removeRun(ref.containerId, service === undefined ? undefined : runOf(service.labels));
    },

    async agents() {
      const services = await swarm.services({ [RUN_LABEL]: true, [WORKSPACE_LABEL]: true, [HOME_LABEL]: homeId(ctx.home) });
      const seen = await Promise.all(
        services.map(async (service) => {
          const run = runOf(service.labels);
          if (run === undefined) return [];
          const running = observeTask(await swarm.task(service.id)).phase === 'running';
          return [{ ref: { containerId: service.id }, ...run, running }];
        }),
      );
      return seen.flat();
    },

    async collectWork(job, status) {
      const failures: string[] = [];
      const notes: string[] = [];
      for (const part of ['outbox', 'repo'] as const) {
        const received = readReceived(receivedFile(job.workspace, status.runCount, part));
        if (received === undefined) failures.push(`${part}/ never came back from the swarm task`);
        else if (received.failure !== undefined) failures.push(received.failure);
        else if (received.skipped !== undefined) notes.push(received.skipped);
      }
      if (failures.some((failure) => failure.startsWith('repo/'))) return { warning: `could not collect the agent's work: ${failures.join('; ')}` };
      const collected = await collectAgentWork(job, status, ctx);
      const warning = [collected.warning, ...failures, ...notes].filter((text) => text !== undefined).join('; ');
      return warning === '' ? collected : { ...collected, warning };
    },

    async qaSandbox(status) {
      // QA runs on the manager's own engine: bind mounts (lent to the agent user when root) when it is this machine, copies when not.
      return qaSandboxOn(engine, status.image ?? ctx.config.runtime.image ?? DEFAULT_IMAGE, ctx.user.uid === 0, status.workspace);
    },

    async release(status) {
      const warnings = status.containerId === undefined ? [] : await removeRun(status.containerId, status);
      rmSync(courierRecord(status.workspace, status.runCount), { force: true });
      rmSync(stopFile(status.workspace, status.runCount), { force: true });
      for (const part of ['outbox', 'repo'] as const) rmSync(receivedFile(status.workspace, status.runCount, part), { force: true });
      return warnings;
    },
  };
}
