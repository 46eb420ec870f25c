import { lchownSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { buildContainerSpec, FALLBACK_AGENT_USER, LABEL_PREFIX } from '../core/container/container-spec.js';
import { detectQa } from '../core/qa/detect-qa.js';
import type { QaResult, RunStatus } from '../core/run/status.js';
import { wrapQaArgv } from '../core/run/wrap-argv.js';
import type { RunContext } from './run-context.js';
import { runFiles } from './run-files.js';

function fallbackIds(): [number, number] {
  return FALLBACK_AGENT_USER.split(':').map(Number) as [number, number];
}

function rootFiles(repoDir: string): Set<string> {
  try {
    return new Set(readdirSync(repoDir));
  } catch {
    return new Set();
  }
}

/**
 * Run the repo's QA after a completed run, in the agent's own image (or on
 * the host for native agents), logging to .meta/qa.log.
 */
export async function runQa(status: RunStatus, ctx: RunContext): Promise<QaResult> {
  const repoDir = join(status.workspace, 'repo');
  const hostFiles = runFiles(status.workspace, '', false);
  const plan = detectQa({
    files: rootFiles(repoDir),
    repoOverride: ctx.config.repos[status.repo]?.qa,
    globalOverride: ctx.config.qa.commands,
  });
  if (plan === undefined) {
    return { state: 'skipped', commands: [], log: hostFiles.qaLog, reason: 'no go.mod, composer.json or package.json; set repos.<org/name>.qa to run QA' };
  }
  writeFileSync(hostFiles.qaLog, `# QA from ${plan.source}\n`);
  rmSync(hostFiles.qaFailed, { force: true });
  let exitCode: number;
  if (status.runtime === 'host') {
    const { execa } = await import('execa');
    const [file, ...args] = wrapQaArgv(plan.commands, { log: hostFiles.qaLog, failed: hostFiles.qaFailed }) as [string, ...string[]];
    // Only what a build needs: QA runs code the agent may just have written, so no tokens.
    const env = { PATH: ctx.env.PATH ?? '/usr/bin:/bin', HOME: ctx.env.HOME ?? '/', NO_COLOR: '1', CI: 'true' };
    const result = await execa(file, args, { cwd: repoDir, reject: false, stdin: 'ignore', env, extendEnv: false });
    exitCode = result.exitCode ?? 1;
  } else {
    const inside = runFiles(status.workspace, '', true);
    // The log was just written by us; the container's user must be able to append to it.
    if (ctx.user.uid === 0) lchownSync(hostFiles.qaLog, ...fallbackIds());
    const runtime = await ctx.runtimes.get(status.runtime);
    const spec = buildContainerSpec({
      image: status.image as string,
      runId: `qa-${status.runCount}-${ctx.clock.now().getTime().toString(36)}`,
      workspaceRoot: status.workspace,
      labels: { [`${LABEL_PREFIX}.workspace`]: status.workspace, [`${LABEL_PREFIX}.role`]: 'qa' },
      configDirs: [],
      envNames: [],
      gitIdentity: ctx.config.git,
      hostUser: ctx.user,
      gpu: false,
      runtime: status.runtime,
      argv: wrapQaArgv(plan.commands, { log: inside.qaLog, failed: inside.qaFailed }),
      stdin: false,
      // Its exit code is the QA result, read from the engine before the removal.
      autoRemove: false,
      // QA runs the repository's own scripts: the same walls as the agent.
      limits: ctx.config.runtime.limits,
      network: ctx.config.runtime.network,
      hostCpus: availableParallelism(),
    });
    const { id } = await runtime.start(spec, ctx.env);
    try {
      exitCode = (await runtime.wait(id)).exitCode;
    } finally {
      await runtime.remove(id);
    }
  }
  if (exitCode === 0) return { state: 'passed', commands: plan.commands, log: hostFiles.qaLog };
  let failedCommand: string | undefined;
  try {
    failedCommand = readFileSync(hostFiles.qaFailed, 'utf8');
  } catch {
    failedCommand = undefined;
  }
  return {
    state: 'failed',
    commands: plan.commands,
    failedCommand,
    log: hostFiles.qaLog,
    reason: failedCommand === undefined ? `QA exited with code ${exitCode}` : `"${failedCommand}" failed (exit code ${exitCode})`,
  };
}
