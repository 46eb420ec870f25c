import { join } from 'node:path';
import { CONTAINER_PATHS } from '../../core/workspace/layout.js';
import { AgentctlError, ExitCode } from '../../core/errors.js';
import { TarRefused } from '../../fs/untrusted-tar.js';
import type { ContainerRuntime, RemoteEngine } from '../../runtime/runtime.js';
import { collectAgentWork } from '../collect-work.js';
import type { RunContext } from '../run-context.js';
import type { RunStatus } from '../../core/run/status.js';
import { RUN_LEFTOVERS, type AgentBackend, type AgentObservation, type Outbox, type OutboxEntry } from './agent-backend.js';
import { entryPath } from './local-outbox.js';
import { agentName, HOME_LABEL, homeId } from '../home-id.js';
import { engineBackend, RUN_LABEL } from './engine-backend.js';
import { startWithCopies } from './container-start.js';
import { exitCodeIn } from './exit-code.js';
import { replaceFromArchive } from './remote-sync.js';

/**
 * Why bringing a container's results back failed, by container: collectWork
 * reports it (a run whose work could not be read back has none), and a
 * container already brought back after its end is not copied again.
 */
const broughtBack = new Map<string, BroughtBack>();

/** What bringing a container's trees back said: why it failed, or what it left out (links, devices). */
interface BroughtBack {
  failure?: string;
  skipped?: string;
  /** The failure, or what was left out, went into a warning already (collectWork's). */
  reported?: boolean;
}

/**
 * The first failure to bring a running agent's outbox back, by container:
 * said once as it happens, and again among the run's warnings.
 */
const liveFailures = new Map<string, string>();

/**
 * Outbox entries the agent left as something other than a regular file (a
 * link), by workspace and part: the copy back leaves them out, but a
 * question asked through a link still blocks the run, as it does locally.
 */
const notRegular = new Map<string, Set<OutboxEntry>>();
const ENTRIES: readonly OutboxEntry[] = ['log', 'exit-code', 'review', 'qa-log', 'qa-failed', 'question'];

/**
 * The last live copy of a running agent's outbox, by container. Each copy
 * brings the whole outbox (the log up to its kept 64 MiB tail) across the
 * connection, so a look copies only when the last copy is old enough: at
 * least a second, and ten times what that copy took (up to 30 s), so
 * copying takes at most a tenth of the connection's time however often the
 * run is looked at.
 */
const liveCopies = new Map<string, { at: number; tookMs: number }>();
const LIVE_COPY_MIN_MS = 1000;
const LIVE_COPY_SHARE = 10;
/** However slow the last copy was (one that ran into the transfer deadline), the live log is at most this old. */
const LIVE_COPY_MAX_MS = 30_000;

/**
 * Agents in containers of an engine across a connection (SSH, TLS), which
 * shares no filesystem with this machine. Nothing here is bind-mounted:
 * - in: the container is created with /workspace on a volume of the
 *   engine's own, and repo/ (with .git), outbox/ and inbox/ go into it as a
 *   tar archive before it starts;
 * - live: observe brings outbox/ back (at most once a second, see
 *   liveCopies), so the log, the idle timeout and the budget read the local
 *   copy as they would a bind mount;
 * - out: once the agent has ended, outbox/ and repo/ come back (bounded,
 *   regular files and directories only) and replace the local ones; then
 *   collectWork fetches into the host-owned repository as for a local run.
 * The container is never auto-removed (its files are the run's results);
 * release removes it with its volume.
 */
export function remoteEngineBackend(engine: ContainerRuntime, remote: RemoteEngine, ctx: RunContext): AgentBackend {
  const base = engineBackend(engine, ctx);

  const bringBack = async (status: RunStatus, id: string, parts: ReadonlyArray<'outbox' | 'repo'>): Promise<BroughtBack> => {
    const said: BroughtBack = {};
    const workspace = status.workspace;
    // The agent's own log (agent-<base>.log, the base being the agent's name before any ":model").
    const agentBase = status.agent.split(':')[0] ?? status.agent;
    const log = base.outbox(workspace, agentBase);
    for (const part of parts) {
      const left = new Set<OutboxEntry>();
      const onSkip = (name: string) => {
        const entry = ENTRIES.find((candidate) => entryPath(workspace, agentBase, candidate) === join(workspace, name));
        if (entry !== undefined) left.add(entry);
      };
      try {
        const extracted = await replaceFromArchive(workspace, part, await remote.getArchive(id, CONTAINER_PATHS[part]), onSkip);
        notRegular.set(`${workspace}\0${part}`, left);
        if (extracted.skippedCount > 0) {
          said.skipped = `${extracted.skippedCount} entries of ${part}/ were not brought back (links, devices or bad names), e.g. ${extracted.skipped.slice(0, 3).join(', ')}`;
          log.note(`[agentctl: ${said.skipped}]\n`);
        }
      } catch (error) {
        // Whatever it was (a refused archive, a deadline, the connection), the run goes on being watched and stopped.
        const why = error instanceof TarRefused || error instanceof AgentctlError ? error.message : `unexpected error: ${(error as Error).message}`;
        return { failure: `${part}/ could not be brought back from the ${engine.name} engine: ${why}` };
      }
    }
    return said;
  };

  const outbox = (workspace: string, agentBase: string): Outbox => {
    const local = base.outbox(workspace, agentBase);
    const leftOut = (entry: OutboxEntry) => ['repo', 'outbox'].some((part) => notRegular.get(`${workspace}\0${part}`)?.has(entry) === true);
    return {
      ...local,
      present: (entry) => local.present(entry) || leftOut(entry),
      clear(entries) {
        local.clear(entries);
        for (const part of ['repo', 'outbox']) for (const entry of entries) notRegular.get(`${workspace}\0${part}`)?.delete(entry);
      },
    };
  };

  return {
    ...base,

    outbox,
    clearLeftovers: (workspace) => outbox(workspace, '').clear(RUN_LEFTOVERS),

    // The version probe would need a throwaway container and a copy round trip: the manifest goes without it.
    cliVersion: async () => undefined,

    async start(job, runCount) {
      if (job.run.kind !== 'container') throw new Error(`the job in ${job.workspace} does not run in a container`);
      if ((job.run.spec as Partial<typeof job.run.spec>).hardening === undefined) {
        throw new AgentctlError('job_outdated', 'this job was queued by an older agentctl, without the container hardening', {
          exitCode: ExitCode.usage,
          hint: `dispatch it again: "agentctl replay ${job.workspace}"`,
        });
      }
      const spec = {
        ...job.run.spec,
        name: agentName(job.run.spec.name, ctx.home, runCount),
        labels: { ...job.run.spec.labels, [RUN_LABEL]: String(runCount), [HOME_LABEL]: homeId(ctx.home) },
      };
      const warnings =
        job.run.spec.configMounts.length > 0
          ? [`the agent's credential files stay on this machine: a remote ${engine.name} engine gets only the environment variables named for the agent`]
          : [];
      const { id } = await startWithCopies(engine, remote, spec, ctx.env, job.workspace, ['repo', 'outbox', 'inbox']);
      return { ref: { containerId: id }, warnings };
    },

    async observe(status): Promise<AgentObservation> {
      const id = status.containerId;
      const container = id === undefined ? undefined : await engine.inspect(id);
      if (id === undefined || container === undefined) {
        return { phase: 'ended', exitCode: exitCodeIn(base.outbox(status.workspace, '')), killed: false };
      }
      if (container.running) {
        const last = liveCopies.get(id);
        const now = performance.now();
        if (last !== undefined && now - last.at < Math.min(LIVE_COPY_MAX_MS, Math.max(LIVE_COPY_MIN_MS, LIVE_COPY_SHARE * last.tookMs))) return { phase: 'running' };
        const said = await bringBack(status, id, ['outbox']);
        liveCopies.set(id, { at: now, tookMs: performance.now() - now });
        if (said.failure !== undefined && !liveFailures.has(id)) {
          liveFailures.set(id, said.failure);
          ctx.notify(`warning: ${said.failure}; the run is still watched (timeout, cancel), from the outbox as it last came back`);
        }
        return { phase: 'running' };
      }
      if (container.startedAt === undefined && container.exitCode === undefined) return { phase: 'created' };
      if (!broughtBack.has(id)) broughtBack.set(id, await bringBack(status, id, ['outbox', 'repo']));
      return { phase: 'ended', exitCode: container.exitCode ?? exitCodeIn(base.outbox(status.workspace, '')), killed: container.killed };
    },

    async collectWork(job, status) {
      const said = status.containerId === undefined ? undefined : broughtBack.get(status.containerId);
      if (said?.failure !== undefined) {
        said.reported = true;
        return { warning: `could not collect the agent's work: ${said.failure}` };
      }
      const collected = await collectAgentWork(job, status, ctx);
      if (said?.skipped === undefined) return collected;
      said.reported = true;
      return { ...collected, warning: [collected.warning, said.skipped].filter((text) => text !== undefined).join('; ') };
    },

    async release(status) {
      const id = status.containerId;
      if (id === undefined) return [];
      const said = broughtBack.get(id);
      const live = liveFailures.get(id);
      const warnings = [
        ...(live === undefined || live === said?.failure ? [] : [`while the agent ran, ${live}`]),
        // What collectWork did not get to say (a run that failed or blocked collects nothing).
        ...(said === undefined || said.reported === true ? [] : [said.failure ?? said.skipped].filter((text) => text !== undefined)),
      ];
      broughtBack.delete(id);
      liveFailures.delete(id);
      liveCopies.delete(id);
      try {
        await engine.remove(id);
      } catch (error) {
        warnings.push(`could not remove container ${id}: ${(error as Error).message}`);
      }
      return warnings;
    },
  };
}
