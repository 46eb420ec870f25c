import type { RunState, RunStatus } from '../run/status.js';

/** $AGENTCTL_HOME/state/chains/<id>.json: written once, when the chain is submitted; its progress is its runs' own statuses. */
export interface ChainRecord {
  version: 1;
  id: string;
  name: string | undefined;
  /** The chain file, as given. */
  file: string;
  createdAt: string;
  tasks: Array<{ id: string; workspace: string; dependsOn: string[] }>;
}

/** A task's state: its run's, or `superseded` once a later dispatch (outside the chain) took its workspace over. */
export type ChainTaskState = RunState | 'superseded' | 'missing';

export interface ChainView {
  id: string;
  name: string | undefined;
  state: 'running' | 'completed' | 'failed';
  createdAt: string;
  tasks: Array<{ id: string; workspace: string; dependsOn: string[]; state: ChainTaskState; reason: string | null }>;
}

/**
 * A chain as it stands, read from its runs' statuses (the host's own record):
 * running while any task is queued or running, completed when every task
 * completed with QA not failed, else failed.
 */
export function chainView(record: ChainRecord, statuses: ReadonlyMap<string, RunStatus>): ChainView {
  const tasks = record.tasks.map((task) => {
    const status = statuses.get(task.workspace);
    const state: ChainTaskState = status === undefined ? 'missing' : status.chain?.id !== record.id ? 'superseded' : status.state;
    const qaFailed = status?.state === 'completed' && status.qa?.state === 'failed';
    return { ...task, state, reason: qaFailed ? 'QA failed' : (status?.reason ?? null) };
  });
  const active = tasks.some((task) => task.state === 'queued' || task.state === 'running');
  const done = tasks.every((task) => task.state === 'completed' && task.reason !== 'QA failed');
  return { id: record.id, name: record.name, state: active ? 'running' : done ? 'completed' : 'failed', createdAt: record.createdAt, tasks };
}
