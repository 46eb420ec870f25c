import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { buildContainerSpec, FALLBACK_AGENT_USER, LABEL_PREFIX } from '../core/container/container-spec.js';
import { detectQa } from '../core/qa/detect-qa.js';
import type { QaResult, RunStatus } from '../core/run/status.js';
import { wrapQaArgv } from '../core/run/wrap-argv.js';
import { qaExitHint } from '../core/qa/qa-hint.js';
import { CONTAINER_PATHS, READ_BOUNDS, workspaceLayout } from '../core/workspace/layout.js';
import { lendWorkspace } from '../fs/chown-tree.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { AgentBackend, Outbox } from './backend/agent-backend.js';
import type { RunContext } from './run-context.js';
import { runFiles } from './run-files.js';

function rootFiles(repoDir: string): Set<string> {
  try {
    return new Set(readdirSync(repoDir));
  } catch {
    return new Set();
  }
}

/** The host's copy of the QA log: our header, then the end of what QA wrote in the outbox, read with a bound. */
function keepLog(hostLog: string, header: string, outbox: Outbox): void {
  const tail = outbox.tail('qa-log', READ_BOUNDS.qaLog);
  const cut = tail?.truncated === true ? `[QA log truncated: only its last ${READ_BOUNDS.qaLog} of ${tail.size} bytes are kept]\n` : '';
  writeFileSync(hostLog, `${header}${cut}${tail?.text ?? ''}`);
}

/** What waitWithin returns for a container it had to stop: not an exit code the container chose. */
const TIMED_OUT = Symbol('timed out');

/**
 * The QA container's exit code, or TIMED_OUT once it has run `limitSeconds`:
 * the repository's scripts (which the agent may have written) must not hold
 * the finish lock and the pool slot for ever. An expired container is stopped.
 */
async function waitWithin(runtime: ContainerRuntime, id: string, limitSeconds: number, graceSeconds: number): Promise<number | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), limitSeconds * 1000);
  });
  const exited = runtime.wait(id).then((r) => r.exitCode);
  // Once the limit has won, a wait that fails as the container goes must not be an unhandled rejection.
  exited.catch(() => undefined);
  try {
    const outcome = await Promise.race([exited, expired]);
    if (outcome === TIMED_OUT) await runtime.stop(id, graceSeconds);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run the repo's QA after a completed run, always in a container that sees
 * only repo/ and the outbox; the log comes back through the outbox and is
 * kept, bounded, in the host-side state.
 */
export async function runQa(status: RunStatus, backend: AgentBackend, ctx: RunContext): Promise<QaResult> {
  const layout = workspaceLayout(status.workspace);
  const outbox = backend.outbox(status.workspace, '');
  const plan = detectQa({
    files: rootFiles(layout.repo),
    repoOverride: ctx.config.repos[status.repo]?.qa,
    globalOverride: ctx.config.qa.commands,
  });
  if (plan === undefined) {
    return { state: 'skipped', commands: [], log: layout.qaLog, reason: 'no go.mod, composer.json or package.json; set repos.<org/name>.qa to run QA' };
  }
  const header = `# QA from ${plan.source}\n`;
  writeFileSync(layout.qaLog, header);
  // What an earlier QA, or the agent, left there: removed, links included.
  mkdirSync(layout.outbox, { recursive: true });
  outbox.clear(['qa-log', 'qa-failed']);
  const engine = await backend.qaSandbox(status);
  const inside = runFiles(status.workspace, '', true);
  const lend = engine.lend;
  const [uid, gid] = FALLBACK_AGENT_USER.split(':').map(Number) as [number, number];
  if (lend) lendWorkspace(status.workspace, uid, gid);
  let exitCode: number | typeof TIMED_OUT;
  try {
    const runtime = await ctx.runtimes.get(engine.runtime);
    const spec = buildContainerSpec({
      image: engine.image,
      runId: `qa-${status.runCount}-${ctx.clock.now().getTime().toString(36)}`,
      workspaceRoot: status.workspace,
      mounts: [
        { hostPath: layout.repo, containerPath: CONTAINER_PATHS.repo, readOnly: false },
        { hostPath: layout.outbox, containerPath: CONTAINER_PATHS.outbox, readOnly: false },
      ],
      labels: { [`${LABEL_PREFIX}.workspace`]: status.workspace, [`${LABEL_PREFIX}.role`]: 'qa' },
      configDirs: [],
      envNames: [],
      gitIdentity: ctx.config.git,
      hostUser: ctx.user,
      gpu: false,
      runtime: engine.runtime,
      argv: wrapQaArgv(plan.commands, { log: inside.qaLog, failed: inside.qaFailed }),
      stdin: false,
      // Its exit code is the QA result, read from the engine before the removal.
      autoRemove: false,
      // QA runs the repository's own scripts: the same walls as the agent.
      limits: ctx.config.runtime.limits,
      network: ctx.config.runtime.network,
      hostCpus: availableParallelism(),
    });
    const { id } = await engine.start(spec, ctx.env);
    try {
      exitCode = await waitWithin(runtime, id, ctx.config.timeouts.qa, ctx.config.timeouts.grace);
      await engine.bringBack(id);
    } finally {
      await runtime.remove(id);
    }
  } finally {
    if (lend) lendWorkspace(status.workspace, (status.owner ?? ctx.user).uid, (status.owner ?? ctx.user).gid);
    keepLog(layout.qaLog, header, outbox);
  }
  if (exitCode === TIMED_OUT) {
    return {
      state: 'failed',
      commands: plan.commands,
      log: layout.qaLog,
      reason: `QA ran longer than its ${ctx.config.timeouts.qa} s limit`,
      hint: 'make the QA commands end sooner, or raise timeouts.qa in the config',
    };
  }
  if (exitCode === 0) return { state: 'passed', commands: plan.commands, log: layout.qaLog };
  const failedCommand = outbox.read('qa-failed', READ_BOUNDS.qaFailed)?.text;
  return {
    state: 'failed',
    commands: plan.commands,
    failedCommand,
    log: layout.qaLog,
    reason: failedCommand === undefined ? `QA exited with code ${exitCode}` : `"${failedCommand}" failed (exit code ${exitCode})`,
    hint: qaExitHint(failedCommand, exitCode, engine.image),
  };
}
