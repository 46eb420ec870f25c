import { appendFileSync, rmSync } from 'node:fs';
import { chownTree } from '../fs/chown-tree.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { FALLBACK_AGENT_USER } from '../core/container/container-spec.js';
import type { RunStatus } from '../core/run/status.js';
import type { PreparedDispatch } from '../dispatch/prepare-dispatch.js';
import { recordEvent } from './events.js';
import type { RunContext } from './run-context.js';
import { blockedFile, runFiles } from './run-files.js';
import { readStatus, writeStatus } from './status-store.js';

function hostEnv(ctx: RunContext): Record<string, string> {
  const { name, email } = ctx.config.git;
  return { NO_COLOR: '1', CI: 'true', TERM: 'dumb', GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}

export function alreadyRunning(workspace: string): AgentctlError {
  return new AgentctlError('already_running', `an agent is already running in ${workspace}`, {
    exitCode: ExitCode.usage,
    hint: `follow it with "agentctl status ${workspace}", or stop it with "agentctl cancel ${workspace}"`,
  });
}

/** Start the agent of a prepared dispatch and record it as running. */
export async function startRun(prepared: PreparedDispatch, ctx: RunContext): Promise<RunStatus> {
  const workspace = prepared.workspace;
  const previous = readStatus(workspace);
  if (previous?.state === 'running') throw alreadyRunning(workspace);
  const files = runFiles(workspace, prepared.agent.base, false);
  // A question left by an earlier run must not decide this one.
  rmSync(blockedFile(workspace), { force: true });
  rmSync(files.exitCode, { force: true });
  rmSync(files.qaFailed, { force: true });
  const runCount = (previous?.runCount ?? 0) + 1;
  const startedAt = ctx.clock.now();
  appendFileSync(files.log, `=== agentctl run ${runCount}: ${prepared.agent.spec} started ${startedAt.toISOString()} ===\n`);

  const base: RunStatus = {
    version: 1,
    state: 'running',
    workspace,
    repo: prepared.repo.slug,
    agent: prepared.agent.spec,
    pool: prepared.agent.pool,
    runtime: prepared.run.kind === 'host' ? 'host' : prepared.run.runtime,
    image: prepared.run.kind === 'container' ? prepared.run.spec.image : undefined,
    sessionId: prepared.command.sessionId,
    runCount,
    startedAt: startedAt.toISOString(),
    owner: { uid: ctx.user.uid, gid: ctx.user.gid },
    warnings: [],
  };

  let status: RunStatus;
  if (prepared.run.kind === 'container') {
    if (ctx.user.uid === 0 && prepared.run.spec.user === FALLBACK_AGENT_USER) {
      // Root may not run the agent, so the agent user borrows the workspace until the run is finished.
      const [uid, gid] = FALLBACK_AGENT_USER.split(':').map(Number) as [number, number];
      chownTree(workspace, uid, gid);
    }
    const runtime = await ctx.runtimes.get(prepared.run.runtime);
    const { id } = await runtime.start(prepared.run.spec, ctx.env);
    status = { ...base, containerId: id };
  } else {
    const { pid } = await ctx.runtimes.host.start(
      { argv: prepared.run.argv, cwd: prepared.run.cwd, passEnv: prepared.envPassed, fixedEnv: hostEnv(ctx) },
      ctx.env,
    );
    status = { ...base, pid };
  }
  writeStatus(status);
  recordEvent(ctx.home, {
    type: 'started',
    at: status.startedAt as string,
    workspace,
    agent: status.agent,
    runtime: status.runtime,
    runCount,
    ...(status.containerId === undefined ? { pid: status.pid } : { containerId: status.containerId }),
  });
  return status;
}
