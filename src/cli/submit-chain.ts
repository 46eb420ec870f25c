import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ChainTask } from '../core/chain/chain-plan.js';
import { chainView, type ChainRecord, type ChainView } from '../core/chain/chain-state.js';
import type { Config } from '../core/config/schema.js';
import { usageError } from '../core/errors.js';
import { writeChain } from '../run/chain-store.js';
import { crashPoint } from '../run/faults.js';
import { allStatuses, drainQueue, queueChain } from '../run/queue.js';
import { readStatus } from '../run/status-store.js';
import type { DispatchOptions } from './commands/dispatch.js';
import type { Deps } from './deps.js';
import { dispatchRequest } from './dispatch-request.js';
import { runContextFor } from './run-context.js';
import { prepareJob, type ReadyJob } from './start-dispatch.js';

/**
 * Submit a checked chain: prepare every task's workspace first (a task that
 * cannot be prepared stops the chain before any of it is queued), then
 * record the chain and queue all its tasks at once, each with --after set to
 * the workspaces of the tasks it depends on. From then on the chain is only
 * queued runs and their statuses on disk: any agentctl process (the
 * supervisor, the next status) carries it on.
 */
export async function submitChain(
  record: ChainRecord,
  tasks: ReadonlyArray<{ task: ChainTask; options: DispatchOptions }>,
  config: Config,
  projectDir: string | undefined,
  deps: Deps,
): Promise<ChainView> {
  const ctx = await runContextFor(deps, config);
  const workspaceOf = new Map<string, string>();
  const taskIn = new Map<string, string>();
  const ready: ReadyJob[] = [];
  try {
    await prepareAll();
  } catch (error) {
    // A refused chain leaves nothing behind: the workspaces it made just now go (a reused one stays as it was).
    for (const job of ready) if (job.head !== undefined) rmSync(job.job.workspace, { recursive: true, force: true });
    throw error;
  }
  async function prepareAll(): Promise<void> {
    for (const { task, options } of tasks) {
      const opts = { ...options, after: task.depends_on.map((dep) => workspaceOf.get(dep) as string) };
      ctx.notify(`preparing ${task.id}`);
      const job = await prepareJob(opts, dispatchRequest(opts, opts.task), projectDir, deps, ctx, undefined, { id: record.id, task: task.id });
      const workspace = job.job.workspace;
      const shown = relative(join(ctx.home, 'workspace'), workspace);
      const other = taskIn.get(workspace);
      if (other !== undefined) {
        throw usageError('chain_shared_workspace', `chain tasks ${other} and ${task.id} would both work in ${shown}`, 'give each task its own issue, pr or branch; nothing was started');
      }
      const state = readStatus(workspace)?.state;
      if (state === 'queued' || state === 'running') {
        throw usageError('chain_workspace_busy', `chain task ${task.id} would work in ${shown}, where a run is ${state}`, `wait for it or cancel it ("agentctl cancel ${shown}"); nothing was started`);
      }
      taskIn.set(workspace, task.id);
      workspaceOf.set(task.id, workspace);
      ready.push(job);
    }
  }
  const submitted: ChainRecord = { ...record, tasks: tasks.map(({ task }) => ({ id: task.id, workspace: workspaceOf.get(task.id) as string, dependsOn: task.depends_on })) };
  await queueChain(ready, ctx, () => writeChain(ctx.home, submitted));
  crashPoint('after-chain-queued', ctx.env);
  // The tasks that may start now start here; the supervisor starts the rest as their dependencies end.
  await drainQueue(ctx);
  await ctx.ensureSupervisor();
  return chainView(submitted, new Map(allStatuses(ctx.home).map((status) => [status.workspace, status])));
}
