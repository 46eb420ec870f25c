import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { basename, extname, join, relative, resolve } from 'node:path';
import { MAX_CHAIN_BYTES, planChain, type ChainPlan, type ChainTask } from '../../core/chain/chain-plan.js';
import type { ChainRecord } from '../../core/chain/chain-state.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { displayLine } from '../../core/text/display-line.js';
import { stateHome, type Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { chainOp } from '../operations/chains.js';
import { dispatchOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { readAt } from '../../fs/read-at.js';
import type { DispatchOptions } from './dispatch.js';

/** The file, read with the chain's bound (it is the user's own, so a link to it is fine). */
function readChainFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw usageError('chain_unreadable', `cannot read the chain file ${path}: ${(error as Error).message}`, 'check the path');
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw usageError('chain_unreadable', `the chain file ${path} is not a regular file`, 'pass a YAML file');
    if (stat.size > MAX_CHAIN_BYTES) throw usageError('chain_invalid', `chain ${path}: is larger than ${MAX_CHAIN_BYTES} bytes`, 'split it into smaller chains');
    return readAt(fd, stat.size, 0).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const snake = (key: string) => key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** A task's dispatch options, checked by dispatch's own schema (ranges and all): an error names the task and the field. */
function dispatchOptionsOf(file: string, task: ChainTask): DispatchOptions {
  const parsed = dispatchOp.input.safeParse({
    repo: task.repo,
    task: task.task,
    agent: task.agent,
    issue: task.issue,
    pr: task.pr,
    branch: task.branch,
    tag: task.tag,
    org: task.org,
    template: task.template,
    persona: task.persona,
    planTemplate: task.plan_template,
    var: Object.entries(task.vars).map(([key, value]) => `${key}=${value}`),
    runtime: task.runtime,
    priority: task.priority,
    timeout: task.timeout,
    idleTimeout: task.idle_timeout,
    maxBudgetUsd: task.max_budget_usd,
    push: task.push,
    fromAfter: task.from_after,
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `task ${task.id}: ${issue.path.map(String).map(snake).join('.')}: ${issue.message}`);
    throw usageError('chain_invalid', `chain ${file}: ${issues.join('; ')}`, 'fix the chain file; nothing was started');
  }
  return parsed.data;
}

function chainName(plan: ChainPlan, file: string): string {
  const fromFile = basename(file, extname(file))
    .replace(/[^a-z0-9_-]+/gi, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return plan.name ?? (fromFile === '' ? 'chain' : fromFile);
}

/** Sortable by creation time, readable, unique: 20261207-113501-feature-3fa2. */
function chainId(name: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${name}-${randomBytes(2).toString('hex')}`;
}

function describeTask(task: ChainTask): string {
  const target = task.issue !== undefined ? ` issue ${task.issue}` : task.pr !== undefined ? ` PR ${task.pr}` : task.branch !== undefined ? ` branch ${task.branch}` : '';
  return `${task.agent ?? '(default agent)'} on ${task.repo}${target}`;
}

function renderPlan(plan: ChainPlan, name: string): string {
  const width = Math.max(...plan.order.map((task) => task.id.length));
  const lines = plan.order.map((task, i) => {
    const after = task.depends_on.length === 0 ? '' : `  after ${task.depends_on.join(', ')}`;
    return `  ${String(i + 1).padStart(2)}. ${task.id.padEnd(width)}  ${displayLine(describeTask(task))}${after}`;
  });
  return `Dry run: chain ${name}, ${plan.order.length} task${plan.order.length === 1 ? '' : 's'} in the order they can start; nothing was prepared or started.\n${lines.join('\n')}\n`;
}

export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(chainOp.input, raw, 'chain');
  const file = opts.args[0] as string;
  // Everything about the file is checked before anything is prepared, queued or written.
  const plan = planChain(file, readChainFile(resolve(deps.cwd, file)));
  const tasks = plan.order.map((task) => ({ task, options: dispatchOptionsOf(file, task) }));
  const name = chainName(plan, file);
  if (opts.dryRun) {
    const order = plan.order.map((task) => ({ id: task.id, repo: task.repo, agent: task.agent ?? null, dependsOn: task.depends_on }));
    deps.io.out(opts.json ? `${JSON.stringify({ dryRun: true, name, order }, null, 2)}\n` : renderPlan(plan, name));
    return ExitCode.ok;
  }
  const { config, projectDir } = await loadConfigFor(deps, opts.config);
  const { submitChain } = await import('../submit-chain.js');
  const record: ChainRecord = { version: 1, id: chainId(name, deps.clock.now()), name, file: resolve(deps.cwd, file), createdAt: deps.clock.now().toISOString(), tasks: [] };
  const view = await submitChain(record, tasks, config, projectDir, deps);
  if (opts.json) deps.io.out(`${JSON.stringify(view, null, 2)}\n`);
  else {
    const width = Math.max(...view.tasks.map((task) => task.id.length));
    const root = join(stateHome(deps), 'workspace');
    const rows = view.tasks.map((task) => `  ${task.id.padEnd(width)}  ${task.state.padEnd(9)}  ${relative(root, task.workspace)}${task.dependsOn.length === 0 ? '' : `  after ${task.dependsOn.join(', ')}`}`);
    deps.io.out(`chain ${view.id}: ${view.tasks.length} task${view.tasks.length === 1 ? '' : 's'} submitted\n${rows.join('\n')}\n`);
    deps.io.err(`follow: agentctl status\n`);
  }
  return ExitCode.ok;
}
