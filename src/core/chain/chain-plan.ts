import { parse } from 'yaml';
import { z } from 'zod';
import { usageError, type AgentctlError } from '../errors.js';

/** A chain file is the user's own, but still read with a bound: a mistake must not take the machine's memory. */
export const MAX_CHAIN_BYTES = 256 * 1024;
export const MAX_CHAIN_TASKS = 100;

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit');
const number = z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be a number')]).transform(String);

/** One task: its place in the graph, and the fields of a dispatch (named as in the config: snake_case). */
const taskSchema = z.strictObject({
  id,
  depends_on: z.array(id).max(MAX_CHAIN_TASKS).default([]),
  repo: z.string().min(1),
  task: z.string().optional(),
  agent: z.string().optional(),
  issue: number.optional(),
  pr: number.optional(),
  branch: z.string().optional(),
  tag: z.string().optional(),
  org: z.string().optional(),
  template: z.string().optional(),
  persona: z.string().optional(),
  plan_template: z.string().optional(),
  vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  runtime: z.enum(['auto', 'docker', 'podman', 'apple']).optional(),
  priority: z.number().int().optional(),
  timeout: z.number().int().positive().optional(),
  idle_timeout: z.number().int().nonnegative().optional(),
  max_budget_usd: z.number().positive().optional(),
  push: z.boolean().optional(),
  /** Start from the work of the one task it depends on (same repository). */
  from_after: z.boolean().default(false),
});

const chainSchema = z.strictObject({
  name: id.optional(),
  tasks: z.array(taskSchema).min(1, 'needs at least one task').max(MAX_CHAIN_TASKS, `takes at most ${MAX_CHAIN_TASKS} tasks`),
});

export type ChainTask = z.infer<typeof taskSchema>;

export interface ChainPlan {
  name: string | undefined;
  /** The tasks in an order that starts every task after the ones it depends on (file order where free). */
  order: ChainTask[];
}

function invalid(file: string, message: string, hint = 'fix the chain file; nothing was started'): AgentctlError {
  return usageError('chain_invalid', `chain ${file}: ${message}`, hint);
}

/** "task build: depends_on: ..." for an issue inside a task, else the path as it stands. */
function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const path = [...issue.path];
  if (path[0] === 'tasks' && typeof path[1] === 'number') {
    const task = (raw as { tasks?: Array<{ id?: unknown }> }).tasks?.[path[1]];
    const name = typeof task?.id === 'string' ? `task ${task.id}` : `task #${path[1] + 1}`;
    const field = path.slice(2).join('.');
    return `${name}: ${field === '' ? '' : `${field}: `}${issue.message}`;
  }
  return `${path.length === 0 ? '' : `${path.join('.')}: `}${issue.message}`;
}

/** The first cycle among the tasks, as a path a -> b -> a, or undefined. */
function findCycle(tasks: readonly ChainTask[]): string[] | undefined {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const done = new Set<string>();
  const visit = (at: string, path: string[]): string[] | undefined => {
    const seen = path.indexOf(at);
    if (seen >= 0) return [...path.slice(seen), at];
    if (done.has(at)) return undefined;
    for (const dep of byId.get(at)?.depends_on ?? []) {
      const found = visit(dep, [...path, at]);
      if (found !== undefined) return found;
    }
    done.add(at);
    return undefined;
  };
  for (const task of tasks) {
    const found = visit(task.id, []);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Kahn's order, taking ready tasks in file order: what runs first is listed first. */
function topologicalOrder(tasks: readonly ChainTask[]): ChainTask[] {
  const placed = new Set<string>();
  const order: ChainTask[] = [];
  while (order.length < tasks.length) {
    const next = tasks.find((task) => !placed.has(task.id) && task.depends_on.every((dep) => placed.has(dep)));
    if (next === undefined) break;
    placed.add(next.id);
    order.push(next);
  }
  return order;
}

/**
 * Read and check a chain file: its schema (errors name the task and the
 * field), unique ids, known dependencies, no cycle (named). Pure: nothing is
 * prepared, queued or written until this has passed.
 */
export function planChain(file: string, text: string): ChainPlan {
  if (Buffer.byteLength(text) > MAX_CHAIN_BYTES) throw invalid(file, `is larger than ${MAX_CHAIN_BYTES} bytes`, `split it into smaller chains`);
  let raw: unknown;
  try {
    raw = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw invalid(file, `is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = chainSchema.safeParse(raw);
  if (!parsed.success) throw invalid(file, parsed.error.issues.map((issue) => describeIssue(raw, issue)).join('; '));
  const { tasks } = parsed.data;
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id)) throw invalid(file, `task ${task.id}: id: used by two tasks`);
    ids.add(task.id);
  }
  for (const task of tasks) {
    for (const dep of task.depends_on) {
      if (!ids.has(dep)) throw invalid(file, `task ${task.id}: depends_on: no task has the id ${JSON.stringify(dep)}`);
    }
  }
  for (const task of tasks) {
    if (task.from_after && task.depends_on.length !== 1) throw invalid(file, `task ${task.id}: from_after: needs exactly one task in depends_on (got ${task.depends_on.length})`);
  }
  const cycle = findCycle(tasks);
  if (cycle !== undefined) throw invalid(file, `the tasks depend on each other in a cycle: ${cycle.join(' -> ')}`, 'break the cycle; nothing was started');
  return { name: parsed.data.name, order: topologicalOrder(tasks) };
}
