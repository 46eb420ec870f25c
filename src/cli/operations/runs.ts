import { z } from 'zod';
import { once, type Operation, type Positional } from './operation.js';

// The operations on runs: each one's schema, help and command in one place (see operation.ts).

const workspace: Positional = { name: 'workspace', description: 'a workspace path, or org/repo/slot', required: true };
const json = z.boolean().default(false).describe('print JSON');
const config = z.string().optional();
const waitTimeout = z.coerce.number().int().positive().optional().describe('with --wait: stop waiting (not the run) after this many seconds; exit 14');
const timeout = z.coerce.number().int().positive().optional().describe('stop the agent after this many seconds');
/** What only a terminal wants: the tools return JSON and never block on a run (wait does that, bounded). */
const TERMINAL_ONLY = ['json', 'wait', 'waitTimeout'] as const;

const dispatchInput = once(() =>
  z.object({
    repo: z.string({ error: 'is required (org/name, a git URL or a local path)' }).describe('org/name, a git URL, or a local path'),
    task: z.string().optional().describe('what the agent should do'),
    taskFile: z.string().optional().describe('read the task from a file'),
    agent: z.string().optional().describe('agent to run (default from config: codex)'),
    issue: z.string().optional().describe('work on issue N (workspace task-N)'),
    pr: z.string().optional().describe('work on pull request N (workspace pr-N)'),
    branch: z.string().optional().describe('work on this branch'),
    tag: z.string().optional().describe('check out this tag, detached and read-only'),
    org: z.string().optional().describe('org for a bare repo name'),
    template: z.string().optional().describe('main prompt template'),
    persona: z.string().optional().describe('persona to include'),
    planTemplate: z.string().optional().describe('plan to include'),
    var: z.array(z.string()).default([]).describe('template variable (repeatable)'),
    runtime: z.enum(['auto', 'docker', 'podman', 'apple', 'swarm']).optional().describe('auto, docker, podman, apple or swarm'),
    gpu: z.boolean().optional().describe('pass GPUs to the agent container'),
    dryRun: z.boolean().default(false).describe('prepare everything and show the prompt and command, without starting the agent'),
    wait: z.boolean().default(false).describe('follow the run to its end, showing its progress; the exit code tells the outcome'),
    waitTimeout,
    timeout,
    priority: z.coerce.number().int().min(-1000).max(1000).optional().describe('queue priority; higher starts first (default 0)'),
    idleTimeout: z.coerce.number().int().nonnegative().optional().describe('stop the agent when it prints nothing for this long'),
    maxBudgetUsd: z.coerce.number().positive().optional().describe('stop the agent once its reported cost passes this'),
    after: z
      .array(z.string())
      .default([])
      .describe('keep the run queued until the run in this workspace has ended; start only if it completed and its QA did not fail, else end cancelled (dependency-failed)'),
    fromAfter: z
      .boolean()
      .default(false)
      .describe("with one --after in the same repository: start the checkout from that run's work (as agentctl collected it) instead of the base branch"),
    push: z.boolean().optional().describe('after a completed run whose QA did not fail: commit, push the branch and open a PR'),
    comment: z.boolean().default(false).describe('post the review as one comment on the PR (review agents)'),
    json: json.describe('print one JSON object'),
    config,
  }),
);

export const dispatchOp = {
  path: ['dispatch'],
  summary: 'prepare a workspace and run an agent on it',
  example: 'agentctl dispatch --repo acme/web --issue 42 --agent claude --wait',
  positionals: [],
  flags: {
    task: { value: 'text' },
    priority: { value: 'n' },
    agent: { value: 'name[:model]' },
    issue: { value: 'n' },
    pr: { value: 'n' },
    branch: { value: 'name' },
    tag: { value: 'name' },
    template: { value: 'name|file' },
    persona: { value: 'name' },
    planTemplate: { value: 'name' },
    var: { value: 'key=value' },
    runtime: { value: 'name' },
    taskFile: { value: 'file' },
    waitTimeout: { value: 'seconds' },
    timeout: { value: 'seconds' },
    idleTimeout: { value: 'seconds' },
    maxBudgetUsd: { value: 'amount' },
    after: { value: 'workspace' },
  },
  get input() {
    return dispatchInput();
  },
  // A task file or template file is a path on the server's machine: a tool's caller passes the task, and templates by name.
  tool: {
    omit: [...TERMINAL_ONLY, 'taskFile'],
    fixed: { json: true },
    extra: { template: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'takes a template name, not a file').optional().describe('main prompt template, by name') },
  },
  command: () => import('../commands/dispatch.js'),
} satisfies Operation;

const statusInput = once(() =>
  z.object({
    args: z.array(z.string()).default([]),
    json: json.describe('print JSON'),
    watch: z
      .boolean()
      .default(false)
      .describe('a live dashboard on a terminal (keys: up/down, l log, c cancel, q quit); otherwise print changes as lines until nothing is queued or running'),
    config,
  }),
);

export const statusOp = {
  path: ['status'],
  summary: 'show runs, finishing any whose agent has ended',
  example: 'agentctl status acme/web/task-42',
  positionals: [{ ...workspace, required: false }],
  get input() {
    return statusInput();
  },
  tool: { omit: ['json', 'watch'], fixed: { json: true } },
  command: () => import('../commands/status.js'),
} satisfies Operation;

const cancelInput = once(() => z.object({ args: z.array(z.string()).min(1, 'needs a workspace'), json, config }));

export const cancelOp = {
  path: ['cancel'],
  summary: 'cancel a queued run, or stop a running one',
  example: 'agentctl cancel acme/web/task-42',
  positionals: [workspace],
  get input() {
    return cancelInput();
  },
  tool: { omit: ['json'], fixed: { json: true } },
  command: () => import('../commands/cancel.js'),
} satisfies Operation;

const resumeInput = once(() =>
  z.object({
    args: z.array(z.string()).min(1, 'needs a workspace'),
    task: z.string().default('Continue where you left off.').describe('what to tell the agent'),
    wait: z.boolean().default(false).describe('follow the run to its end'),
    waitTimeout,
    timeout,
    json,
    config,
  }),
);

export const resumeOp = {
  path: ['resume'],
  summary: "continue a finished claude run's session",
  example: 'agentctl resume acme/web/task-42 --task "Also update the changelog." --wait',
  positionals: [workspace],
  flags: { task: { value: 'text' }, waitTimeout: { value: 'seconds' }, timeout: { value: 'seconds' } },
  get input() {
    return resumeInput();
  },
  tool: { omit: TERMINAL_ONLY, fixed: { json: true } },
  command: () => import('../commands/resume.js'),
} satisfies Operation;

const answerInput = once(() =>
  z.object({
    args: z.array(z.string()).min(1, 'needs a workspace'),
    fromForge: z.boolean().default(false).describe('take the newest reply after the question on the issue or PR'),
    wait: z.boolean().default(false).describe('follow the resumed run to its end'),
    waitTimeout,
    json,
    config,
  }),
);

export const answerOp = {
  path: ['answer'],
  summary: "answer a blocked run's question and resume it",
  example: 'agentctl answer acme/web/task-42 "Use PostgreSQL."',
  positionals: [workspace, { name: 'text', description: 'the answer', required: false }],
  flags: { waitTimeout: { value: 'seconds' } },
  get input() {
    return answerInput();
  },
  tool: { omit: TERMINAL_ONLY, fixed: { json: true } },
  command: () => import('../commands/answer.js'),
} satisfies Operation;

const replayInput = once(() =>
  z.object({
    args: z.array(z.string()).min(1, 'needs a workspace'),
    dryRun: z.boolean().default(false).describe('prepare and show, without starting the agent'),
    wait: z.boolean().default(false).describe('follow the run to its end'),
    waitTimeout,
    json,
    config,
  }),
);

export const replayOp = {
  path: ['replay'],
  summary: "dispatch again what a run's manifest recorded",
  example: 'agentctl replay acme/web/task-42 --dry-run',
  positionals: [workspace],
  flags: { waitTimeout: { value: 'seconds' } },
  get input() {
    return replayInput();
  },
  command: () => import('../commands/replay.js'),
} satisfies Operation;

/** Lines of a log a tool returns at most: a bounded tail, never the whole log. */
export const MAX_TOOL_LOG_LINES = 1000;

const logsInput = once(() =>
  z.object({
    args: z.array(z.string()).min(1, 'needs a workspace').max(1, 'takes one workspace'),
    follow: z.boolean().default(false).describe('keep printing new output until the run has ended'),
    raw: z.boolean().default(false).describe("the agent's own output, not the text and tool lines parsed from it (claude, codex, gemini)"),
    json: z.boolean().default(false).describe('print JSON lines {"line": ...} of the agent\'s own output'),
    config,
  }),
);

export const logsOp = {
  path: ['logs'],
  summary: "print a run's agent log; -f follows it until the run ends",
  example: 'agentctl logs -f acme/web/task-42',
  positionals: [workspace],
  flags: { follow: { short: 'f' } },
  get input() {
    return logsInput();
  },
  tool: {
    omit: ['follow', 'json'],
    fixed: { json: false },
    extra: { lines: z.number().int().min(1).max(MAX_TOOL_LOG_LINES).default(200).describe(`the last this many lines (at most ${MAX_TOOL_LOG_LINES})`) },
  },
  command: () => import('../commands/logs.js'),
} satisfies Operation;

const eventsInput = once(() =>
  z.object({
    args: z.array(z.string()).max(0, 'takes no arguments; use --workspace').default([]),
    follow: z.boolean().default(false).describe('keep printing new events'),
    json: z.boolean().default(false).describe('print each event as a JSON line'),
    workspace: z.string().min(1).optional().describe("one run's own events, its agent's included, instead of the global log"),
    config,
  }),
);

export const eventsOp = {
  path: ['events'],
  summary: 'print the event log (queued, started, finished, backoff, ...); --follow tails it',
  example: 'agentctl events --workspace acme/web/task-42 --json',
  positionals: [],
  flags: { follow: { short: 'f' } },
  get input() {
    return eventsInput();
  },
  command: () => import('../commands/events.js'),
} satisfies Operation;

/** The longest a wait tool call may block: MCP clients give up on calls that take longer. */
export const MAX_WAIT_SECONDS = 3600;

const waitInput = once(() =>
  z.object({
    args: z.array(z.string()).min(1, 'needs a workspace'),
    timeout: z.number().int().min(1).max(MAX_WAIT_SECONDS).default(300).describe(`stop waiting (not the run) after this many seconds (at most ${MAX_WAIT_SECONDS})`),
    config,
  }),
);

export const waitOp = {
  path: ['wait'],
  summary: 'wait for a run to end (bounded), sending its events as progress; returns its status',
  example: '(MCP) wait { "workspace": "acme/web/task-42", "timeout": 600 }',
  positionals: [workspace],
  get input() {
    return waitInput();
  },
  tool: { omit: [] },
} satisfies Operation;

const listInput = once(() =>
  z.object({
    state: z
      .array(z.enum(['queued', 'running', 'completed', 'failed', 'blocked', 'cancelled', 'prepared']))
      .optional()
      .describe('only runs in one of these states'),
    repo: z.string().optional().describe('only runs of this org/name'),
    agent: z.string().optional().describe('only runs of this agent (name, or name:model)'),
    pool: z.string().optional().describe('only runs of this pool'),
    limit: z.number().int().min(1).max(500).default(100).describe('at most this many runs'),
    config,
  }),
);

export const listOp = {
  path: ['list'],
  summary: 'list runs as status does, with filters',
  example: '(MCP) list { "state": ["running", "queued"], "repo": "acme/web" }',
  positionals: [],
  get input() {
    return listInput();
  },
  tool: { omit: [] },
} satisfies Operation;
