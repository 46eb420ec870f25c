import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/core/run/status.js';
import { unclaimedAgents } from '../../../src/core/run/unclaimed-agents.js';

const HOME = '/home/u/.agentctl';
const WS = `${HOME}/workspace/acme/web/task-1`;

function status(fields: Partial<RunStatus>): RunStatus {
  return { version: 1, state: 'running', workspace: WS, repo: 'acme/web', agent: 'codex', pool: 'codex', runtime: 'podman', runCount: 2, warnings: [], ...fields };
}

const ours = (workspace: string) => workspace.startsWith(`${HOME}/workspace/`);

describe('agents no run claims', () => {
  it.each<[string, RunStatus | undefined, { id: string; runCount: number; workspace?: string }, boolean]>([
    ['its running run names it', status({ containerId: 'c1' }), { id: 'c1', runCount: 2 }, false],
    ['its run is being started (same run, no agent recorded yet)', status({ claimedBy: 42 }), { id: 'c1', runCount: 2 }, false],
    ['a host run names its pid', status({ runtime: 'host', pid: 4242 }), { id: '4242', runCount: 2 }, false],
    ['its run was cancelled while it started', status({ state: 'cancelled' }), { id: 'c1', runCount: 2 }, true],
    ['its run was requeued', status({ state: 'queued', runCount: 1 }), { id: 'c1', runCount: 2 }, true],
    ['the running run names another agent', status({ containerId: 'c2' }), { id: 'c1', runCount: 2 }, true],
    ['it belongs to an earlier run than the one being started', status({ runCount: 3, claimedBy: 42 }), { id: 'c1', runCount: 2 }, true],
    ['its workspace has no status any more', undefined, { id: 'c1', runCount: 2 }, true],
    ["it is another state home's agent", undefined, { id: 'c1', runCount: 2, workspace: '/other/.agentctl/workspace/acme/web/task-1' }, false],
  ])('%s: unclaimed is %s', (_name, current, agent, unclaimed) => {
    const found = unclaimedAgents([{ workspace: WS, ...agent }], () => current, ours);
    expect(found.length === 1).toBe(unclaimed);
  });
});
