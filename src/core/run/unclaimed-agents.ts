import type { RunStatus } from './status.js';

/** An agent as its backend labels it. `id`: its container id, or its pid as text. */
export interface LabelledAgent {
  id: string;
  workspace: string;
  runCount: number;
}

/**
 * The agents that no run claims: their run ended, was requeued, or moved on
 * to a later run, so nothing would ever watch, limit or stop them. An agent
 * is claimed by its run's status when that status is running and names it,
 * or is running, names no agent yet and is the same run (its starter is
 * recording it). Agents of workspaces outside this state home (another
 * user's, another AGENTCTL_HOME's) are never anyone's business here.
 *
 * Read the statuses after listing the agents: a run started after the list
 * is then either claimed or not in it.
 */
export function unclaimedAgents<A extends LabelledAgent>(agents: readonly A[], statusOf: (workspace: string) => RunStatus | undefined, ours: (workspace: string) => boolean): A[] {
  return agents.filter((agent) => {
    if (!ours(agent.workspace)) return false;
    const status = statusOf(agent.workspace);
    if (status?.state !== 'running') return true;
    if (status.containerId !== undefined || status.pid !== undefined) return status.containerId !== agent.id && String(status.pid) !== agent.id;
    return status.runCount !== agent.runCount;
  });
}
