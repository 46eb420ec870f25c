import { readFileSync, rmSync } from 'node:fs';
import { hostAgentWarning } from '../../core/agents/agent-sandbox.js';
import { DEFAULT_IMAGE } from '../../core/container/container-spec.js';
import { AgentctlError } from '../../core/errors.js';
import { workspaceLayout } from '../../core/workspace/layout.js';
import type { HostRunner } from '../../runtime/host-runner.js';
import { chooseRuntime } from '../choose-runtime.js';
import { collectAgentWork } from '../collect-work.js';
import { hostCliVersion } from '../manifest.js';
import type { RunContext } from '../run-context.js';
import { RUN_LEFTOVERS, type AgentBackend } from './agent-backend.js';
import { qaSandboxOn } from './container-start.js';
import { exitCodeIn } from './exit-code.js';
import { localOutbox } from './local-outbox.js';

/** The pid a host wrapper recorded for itself, if it got that far. */
function recordedPid(workspace: string): number | undefined {
  try {
    const text = readFileSync(workspaceLayout(workspace).pid, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Agents on the host, without a sandbox: only for agents the config opts in
 * (agents.<name>.host), and every run says so. The agent's process is a
 * detached wrapper that leaves its exit code in the outbox.
 */
export function hostBackend(runner: HostRunner, ctx: RunContext): AgentBackend {
  const { name, email } = ctx.config.git;
  const fixedEnv = { NO_COLOR: '1', CI: 'true', TERM: 'dumb', GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
  return {
    runtime: 'host',

    cliVersion: (_plan, cli) => hostCliVersion(cli, { ...ctx.env }),

    clearLeftovers(workspace) {
      localOutbox(workspace, '').clear(RUN_LEFTOVERS);
      rmSync(workspaceLayout(workspace).pid, { force: true, recursive: true });
    },

    async start(job) {
      if (job.run.kind !== 'host') throw new Error(`the job in ${job.workspace} does not run on the host`);
      const { pid } = await runner.start({ argv: job.run.argv, cwd: job.run.cwd, passEnv: job.envPassed, fixedEnv }, ctx.env);
      // The status (and so --json and the final summary) and the events say that this run had no sandbox.
      return { ref: { pid }, warnings: [hostAgentWarning(job.agentBase)] };
    },

    async find(status) {
      const pid = recordedPid(status.workspace);
      return pid === undefined ? undefined : { pid };
    },

    async observe(status) {
      const exitCode = exitCodeIn(localOutbox(status.workspace, ''));
      if (exitCode === undefined && status.pid !== undefined && runner.alive(status.pid)) return { phase: 'running' };
      return { phase: 'ended', exitCode, killed: false };
    },

    async stop(ref, graceSeconds) {
      if (ref.pid !== undefined) await runner.stop(ref.pid, graceSeconds);
    },

    // A host process leaves nothing to remove.
    async remove() {},

    // Host processes carry no labels to find them by; a start whose run was meanwhile cancelled is stopped by its starter.
    async agents() {
      return [];
    },

    outbox: localOutbox,

    collectWork: (job, status) => collectAgentWork(job, status, ctx),

    async qaSandbox(status) {
      // QA runs the repository's scripts: never on the host, even for a host agent. The engine a container dispatch would choose.
      const image = ctx.config.runtime.image ?? ctx.env.AGENTCTL_IMAGE ?? DEFAULT_IMAGE;
      try {
        const runtime = await chooseRuntime(ctx.runtimes, ctx.config.runtime.prefer, image, process.platform, ctx.notify);
        // The workspace is still ours: lend it to the container's user for QA, as a container run's is.
        return qaSandboxOn(await ctx.runtimes.get(runtime), image, ctx.user.uid === 0, status.workspace);
      } catch (error) {
        const hint = error instanceof AgentctlError && error.hint !== undefined ? ` (${error.hint})` : '';
        throw new Error(`QA runs the repository's scripts in a container, never on the host, and no engine could run it: ${(error as Error).message}${hint}`);
      }
    },

    async release() {
      return [];
    },
  };
}
