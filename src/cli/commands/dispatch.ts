import type { DispatchPreviewJson } from '../json-shapes.js';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ExitCode, usageError } from '../../core/errors.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { MAX_PROMPT_BYTES } from '../../core/prompt/assemble-prompt.js';
import { dispatchRequest } from '../dispatch-request.js';
import { displayText } from '../../core/text/display-line.js';
import { prepareDispatch, type PreparedDispatch } from '../../dispatch/prepare-dispatch.js';
import type { Deps } from '../deps.js';
import { paint, useColor } from '../io.js';
import { loadConfigFor } from '../load.js';
import { dispatchOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { displayCommand } from '../shell-quote.js';
import { buildManifest, writeManifest } from '../../run/manifest.js';
import { replayRequest } from '../../dispatch/replay-request.js';
import { previewRuntimeChoice, type RuntimeChoice } from '../../run/choose-runtime.js';

export type DispatchOptions = z.infer<typeof dispatchOp.input>;

/** How a dry run reports the engine: the one a real run would use, and whether a real run would start at all. */
function engineJson(choice: RuntimeChoice | undefined): DispatchPreviewJson['engine'] {
  if (choice === undefined) return null;
  const { failure } = choice;
  return {
    runtime: choice.runtime,
    warning: choice.warning ?? null,
    realRunFails: failure === undefined ? null : { code: failure.code, reason: failure.message, hint: failure.hint ?? null },
  };
}

export function previewJson(p: PreparedDispatch, choice: RuntimeChoice | undefined, after: string[]): DispatchPreviewJson {
  return {
    dryRun: true,
    after,
    workspace: p.workspace,
    repo: p.repo.slug,
    cloneUrl: p.repo.cloneUrl,
    target: p.target,
    branch: p.record.branch ?? null,
    base: p.record.base ?? null,
    commit: p.record.commit,
    reused: p.reused,
    agent: p.agent.spec,
    pool: p.agent.pool,
    template: p.template,
    persona: p.persona ?? null,
    planTemplate: p.plan ?? null,
    prompt: p.prompt,
    promptPath: p.promptPath,
    command: p.command.argv,
    promptVia: p.command.promptVia,
    sessionId: p.command.sessionId ?? null,
    run: p.run.kind === 'container' ? { kind: 'container', runtime: p.run.runtime, image: p.run.spec.image, argv: p.run.argv } : { kind: 'host', cwd: p.run.cwd, argv: p.run.argv },
    engine: engineJson(choice),
    env: { passed: p.envPassed, missing: p.envMissing },
    copies: p.copies,
    setup: p.setup ?? null,
    warnings: p.warnings,
  };
}

function renderPreview(p: PreparedDispatch, color: boolean): string {
  const c = paint(color);
  const row = (label: string, value: string) => `${c.bold(label.padEnd(10))} ${value}\n`;
  const where = p.record.branch === undefined ? `detached at ${p.record.commit.slice(0, 12)}` : `branch ${p.record.branch} at ${p.record.commit.slice(0, 12)}`;
  let out = `${c.yellow('Dry run')}: the workspace is ready; no agent was started.\n\n`;
  out += row('Workspace', `${p.workspace}${p.reused ? c.dim(' (reused)') : ''}`);
  out += row('Repo', `${p.repo.slug} ${c.dim(`(${p.repo.cloneUrl})`)}`);
  out += row('Checkout', p.record.base === undefined || p.record.branch === p.record.base ? where : `${where}, base ${p.record.base}`);
  out += row('Agent', `${p.agent.spec} ${c.dim(`(pool ${p.agent.pool}, ${p.run.kind === 'container' ? `${p.run.runtime} container ${p.run.spec.image}` : 'on the host'})`)}`);
  out += row('Prompt', `${p.promptPath} ${c.dim(`(${Buffer.byteLength(p.prompt)} bytes, template ${p.template}${p.persona ? `, persona ${p.persona}` : ''}${p.plan ? `, plan ${p.plan}` : ''})`)}`);
  for (const copy of p.copies) out += row('Copy', `${copy.from} → repo/${copy.to}`);
  if (p.setup !== undefined) out += row('Setup', `${p.setup} ${c.dim('(runs in the workspace before the agent)')}`);
  out += row('Env', `${p.envPassed.length > 0 ? p.envPassed.join(' ') : '(none set)'}${p.envMissing.length > 0 ? c.dim(`  not set: ${p.envMissing.join(' ')}`) : ''}`);
  // The prompt carries forge text and the repository's instruction files.
  out += `\n${c.cyan('--- prompt ---')}\n${displayText(p.prompt)}${c.cyan('--- command ---')}\n`;
  if (p.run.kind === 'host') out += `cd ${p.run.cwd} && `;
  out += `${displayCommand(p.run.argv, p.prompt, p.promptPath)}${p.command.stdin !== undefined ? ` < ${p.promptPath}` : ''}\n`;
  return out;
}

function readTask(opts: DispatchOptions, deps: Deps): string | undefined {
  if (opts.taskFile === undefined) return opts.task;
  if (opts.task !== undefined) throw usageError('conflicting_task', '--task and --task-file cannot be used together', 'pass the task one way');
  const path = resolve(deps.cwd, opts.taskFile);
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw usageError('task_file_unreadable', `cannot read --task-file ${path}: ${(error as Error).message}`, 'check the path');
  }
  if (size > MAX_PROMPT_BYTES) {
    throw usageError('prompt_too_large', `--task-file ${path} is ${size} bytes, above the ${MAX_PROMPT_BYTES}-byte prompt limit`, 'shorten the task; link to long material instead of pasting it');
  }
  return readFileSync(path, 'utf8');
}

async function hasLiveRun(workspace: string): Promise<boolean> {
  // Loaded only for a reused workspace, where preparing it has loaded it already.
  const { readStatus } = await import('../../run/status-store.js');
  const state = readStatus(workspace)?.state;
  return state === 'running' || state === 'queued';
}

export async function run(raw: unknown, deps: Deps): Promise<number> {
  const parsed = parseOptions(dispatchOp.input, raw, 'dispatch');
  // --after names runs agentctl knows, as its own workspace dirs: checked before anything is prepared.
  const opts = parsed.after.length === 0 ? parsed : { ...parsed, after: (await import('../../service/resolve-after.js')).resolveAfter(parsed.after, deps) };
  if (opts.waitTimeout !== undefined && !opts.wait) throw usageError('wait_timeout_without_wait', '--wait-timeout bounds a --wait', 'add --wait, or drop --wait-timeout');
  const { config, projectDir } = await loadConfigFor(deps, opts.config);
  const request = dispatchRequest(opts, readTask(opts, deps));
  if (opts.dryRun) {
    // The same probe and choice as a real run; where a real run would stop, the preview goes on and says why.
    let choice: RuntimeChoice | undefined;
    const prepared = await prepareDispatch(request, config, projectDir, deps, async (prefer, image) => {
      choice = await previewRuntimeChoice(await deps.runtimes(config), prefer, image, deps.platform);
      if (choice.warning !== undefined) deps.io.err(`warning: ${choice.warning}\n`);
      const { failure } = choice;
      if (failure !== undefined) deps.io.err(`warning: a real run would fail: ${failure.message}${failure.hint === undefined ? '' : ` (${failure.hint})`}\n`);
      return choice.runtime;
    });
    // A preview never writes into the workspace of a live (running or queued) run.
    if (!prepared.reused || !(await hasLiveRun(prepared.workspace))) {
      writeFileAtomic(prepared.promptPath, prepared.prompt);
      writeManifest(prepared.workspace, buildManifest(prepared, replayRequest(opts, prepared, request.task), { createdAt: deps.clock.now(), cliVersion: undefined, imageId: undefined }));
    }
    if (opts.json) deps.io.out(`${JSON.stringify(previewJson(prepared, choice, opts.after), null, 2)}\n`);
    else deps.io.out(renderPreview(prepared, useColor(deps.io, deps.env, opts.json)));
    return ExitCode.ok;
  }

  const { startDispatch } = await import('../start-dispatch.js');
  return startDispatch(opts, request, config, projectDir, deps);
}
