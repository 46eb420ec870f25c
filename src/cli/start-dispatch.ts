import type { Config } from '../core/config/schema.js';
import { describeTarget } from '../core/names.js';
import { usageError } from '../core/errors.js';
import { readWorkspaceRecord } from '../workspace/prepare-workspace.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import type { Deps } from './deps.js';
import type { DispatchOptions } from './commands/dispatch.js';
import { runContextFor } from './run-context.js';
import { submitJob } from './submit-job.js';
import { waitReporter, type WaitReporter } from './wait-progress.js';
import { chooseRuntime } from '../run/choose-runtime.js';
import { reconcileRun } from '../run/finish-run.js';
import type { Job } from '../run/job-store.js';
import { alreadyRunning } from '../run/launch-run.js';
import { buildManifest, writeManifest } from '../run/manifest.js';
import { planRuntime } from '../core/run/run-plan.js';
import type { RuntimeName } from '../core/container/container-spec.js';
import type { RunContext } from '../run/run-context.js';
import { readStatus } from '../run/status-store.js';
import { replayRequest } from '../dispatch/replay-request.js';
import { prepareDispatch, type DispatchRequest, type PreparedDispatch } from '../dispatch/prepare-dispatch.js';

/**
 * A real dispatch: prepare with the chosen engine, record the manifest, and
 * queue or start the job. Loaded only when needed, so a dry run stays light.
 */
export async function startDispatch(opts: DispatchOptions, request: DispatchRequest, config: Config, projectDir: string | undefined, deps: Deps): Promise<number> {
  const progress = opts.wait ? waitReporter(deps.io, deps.clock, opts.json) : undefined;
  // A URL's user and password, if it has them, are not for a log.
  const repo = request.repo.replace(/\/\/[^/@]*@/, '//');
  progress?.phase('preparing', `${repo}${request.issue === undefined ? '' : ` issue ${request.issue}`}${request.pr === undefined ? '' : ` PR ${request.pr}`}`);
  try {
    return await prepareAndSubmit(opts, request, config, projectDir, deps, progress);
  } finally {
    // An error is printed on a line of its own, not after the live line.
    progress?.close();
  }
}

async function prepareAndSubmit(
  opts: DispatchOptions,
  request: DispatchRequest,
  config: Config,
  projectDir: string | undefined,
  deps: Deps,
  progress: WaitReporter | undefined,
): Promise<number> {
  const base = await runContextFor(deps, config);
  const ctx = progress === undefined ? base : { ...base, notify: (line: string) => progress.note(line) };
  const ready = await prepareJob(opts, request, projectDir, deps, ctx, progress);
  return submitJob(ready.job, ready.what, ctx, deps, opts, ready.head, ready.writeFiles, progress);
}

/** A prepared workspace and the job to run in it, not yet admitted: nothing of the run is written until then. */
export interface ReadyJob {
  job: Job;
  /** The run in words: "claude on acme/web (issue #42)". */
  what: string;
  /** The checkout's HEAD when it was made just now (see submitJob). */
  head: string | undefined;
  /** The prompt and manifest, written on admission. */
  writeFiles: () => void;
}

/** Prepare the workspace with the chosen engine and build the job: dispatch and each task of a chain. */
export async function prepareJob(
  opts: DispatchOptions,
  request: DispatchRequest,
  projectDir: string | undefined,
  deps: Deps,
  ctx: RunContext,
  progress?: WaitReporter,
  chain?: { id: string; task: string },
): Promise<ReadyJob> {
  const config = ctx.config;
  // What a start will need gets going beside the preparation: for an engine named in advance, before anything else.
  const warm = async (runtime: RuntimeName) => (await ctx.backend(runtime)).warm?.();
  const named = request.runtime ?? config.runtime.prefer;
  if (named !== 'auto') warm(named).catch(() => undefined);
  // The manifest records the image's ID: asked for as soon as the engine is chosen, beside the git work.
  let imageId: Promise<string | undefined> = Promise.resolve(undefined);
  // On a terminal, a first clone of the mirror shows git's own progress on the live line.
  const cloning = progress !== undefined && deps.io.statusLine !== undefined && !opts.json;
  const prepared = await prepareDispatch(
    request,
    config,
    projectDir,
    cloning ? { ...deps, git: () => deps.git((stage, percent) => progress.phase('cloning', `${stage.replace(/:$/, '')} ${percent}%`)) } : deps,
    async (prefer, image) => {
      const chosen = await chooseRuntime(ctx.runtimes, prefer, image, deps.platform, ctx.notify);
      imageId = ctx.runtimes.get(chosen).then((runtime) => runtime.imageId(image));
      imageId.catch(() => undefined);
      if (prefer === 'auto') await warm(chosen);
      return chosen;
    },
    async (root) => {
      const status = readStatus(root)?.state === 'running' ? await reconcileRun(root, ctx) : readStatus(root);
      if (status?.state === 'running') throw alreadyRunning(root);
    },
  );
  if (opts.maxBudgetUsd !== undefined && !prepared.command.enforcesBudget && !reportsCost(prepared.agent.base)) {
    ctx.notify(`warning: ${prepared.agent.spec} reports no cost, so --max-budget-usd cannot be enforced for it`);
  }
  const manifest = buildManifest(prepared, replayRequest(opts, prepared, request.task), await manifestFacts(prepared, await imageId, ctx, deps));
  const job = jobFor(prepared, {
    timeoutSeconds: opts.timeout ?? prepared.agent.settings.timeout ?? config.timeouts.agent,
    idleSeconds: opts.idleTimeout ?? config.timeouts.idle,
    budgetUsd: prepared.command.enforcesBudget ? undefined : opts.maxBudgetUsd,
    priority: opts.priority ?? 0,
    push: opts.push ?? config.defaults.push,
    comment: opts.comment,
    after: opts.after,
    fromAfter: opts.fromAfter,
    chain,
  });
  if (opts.fromAfter) checkFromAfter(opts.after, prepared);
  return {
    job,
    what: `${job.agent} on ${prepared.repo.slug} (${describeTarget(prepared.target)})`,
    // A workspace made just now is at the commit its record names; a reused one may have moved on.
    head: prepared.reused ? undefined : prepared.record.commit,
    writeFiles: () => {
      writeFileAtomic(prepared.promptPath, prepared.prompt);
      writeManifest(prepared.workspace, manifest);
    },
  };
}

/**
 * --from-after starts from one predecessor's work in the same repository,
 * in a checkout agentctl has just made (git runs there before the agent, so
 * never in one an earlier agent has had).
 */
function checkFromAfter(after: readonly string[], prepared: PreparedDispatch): void {
  const [predecessor] = after;
  if (after.length !== 1 || predecessor === undefined) throw usageError('from_after_needs_one', `--from-after needs exactly one --after (got ${after.length})`, 'name the one run whose work to start from');
  const repo = readWorkspaceRecord(predecessor)?.repo;
  if (repo !== prepared.repo.slug) {
    throw usageError('from_after_other_repo', `--from-after: ${predecessor} is a workspace of ${repo ?? 'an unknown repository'}, not ${prepared.repo.slug}`, 'start from a run of the same repository, or drop --from-after');
  }
  if (prepared.reused) {
    throw usageError('from_after_reused', `--from-after needs a new workspace, and ${prepared.workspace} exists already`, 'pick another target (issue, pr or branch), or remove the workspace ("agentctl gc")');
  }
}

/** Agents whose machine output includes a cost agentctl can watch. */
function reportsCost(agentBase: string): boolean {
  return agentBase === 'claude';
}

async function manifestFacts(
  prepared: PreparedDispatch,
  imageId: string | undefined,
  ctx: RunContext,
  deps: Deps,
): Promise<{ createdAt: Date; cliVersion: string | undefined; imageId: string | undefined }> {
  const backend = await ctx.backend(planRuntime(prepared.run));
  const cliVersion = await backend.cliVersion(prepared.run, prepared.command.argv[0] as string, prepared.workspace, imageId);
  return { createdAt: deps.clock.now(), cliVersion, imageId };
}

/** What a queued or started run needs later, in whichever process starts it. */
export function jobFor(
  prepared: PreparedDispatch,
  settings: {
    timeoutSeconds: number;
    idleSeconds: number;
    budgetUsd: number | undefined;
    priority: number;
    push: boolean;
    comment: boolean;
    after?: string[] | undefined;
    fromAfter?: boolean | undefined;
    chain?: { id: string; task: string } | undefined;
  },
): Job {
  return {
    version: 1,
    workspace: prepared.workspace,
    repo: prepared.repo.slug,
    agent: prepared.agent.spec,
    agentBase: prepared.agent.base,
    pool: prepared.agent.pool,
    run: prepared.run,
    envPassed: prepared.envPassed,
    agentArgv: prepared.command.argv,
    sessionId: prepared.command.sessionId,
    timeoutSeconds: settings.timeoutSeconds,
    idleSeconds: settings.idleSeconds,
    budgetUsd: settings.budgetUsd,
    priority: settings.priority,
    target: prepared.target,
    branch: prepared.record.branch,
    base: prepared.record.base,
    forge: prepared.forge,
    issueTitle: prepared.issueTitle,
    push: settings.push,
    comment: settings.comment,
    review: prepared.agent.spec === 'codex:review' || prepared.agent.base === 'coderabbit',
    setup: prepared.setup,
    after: settings.after === undefined || settings.after.length === 0 ? undefined : settings.after,
    fromAfter: settings.fromAfter === true ? true : undefined,
    chain: settings.chain,
  };
}
