import { z } from 'zod';
import { statusSchema } from '../run/status-store.js';

/*
 * The stable --json shapes, in one place. Commands build their output typed
 * as these (`import type`, so nothing here loads on a command's path), a test
 * parses what the commands really print with them, and docs/reference/json.md
 * is generated from them (npm run docs:json). A field is only ever added.
 */

const nullable = (schema: z.ZodType, description: string) => schema.nullable().describe(description);

/** A run as status.json records it: dispatch (no --wait), cancel, and MCP wait. */
export const runStatusJson = statusSchema.extend({
  state: statusSchema.shape.state.describe('prepared, queued, running, or how it ended: completed, failed, blocked, cancelled'),
  workspace: statusSchema.shape.workspace.describe('the workspace directory; every other command takes it'),
  repo: statusSchema.shape.repo.describe('org/name'),
  agent: statusSchema.shape.agent.describe('name or name:model'),
  pool: statusSchema.shape.pool.describe('the pool the run counts against'),
  runCount: statusSchema.shape.runCount.describe('how many times an agent was started in this workspace'),
  exitCode: statusSchema.shape.exitCode.describe("the agent's exit code, once it ended"),
  reason: statusSchema.shape.reason.describe('why the run ended as it did'),
  question: statusSchema.shape.question.describe("the agent's question, for a blocked run"),
  hint: statusSchema.shape.hint.describe('what to do about the outcome'),
  waitingFor: statusSchema.shape.waitingFor.describe('why a queued run waits'),
  stopReason: statusSchema.shape.stopReason.describe('why agentctl stopped the run'),
  progress: statusSchema.shape.progress.describe("the last progress lines of the agent's output (at most 20)"),
  noChanges: statusSchema.shape.noChanges.describe('completed, but the agent changed nothing and asked nothing'),
  runtime: statusSchema.shape.runtime.describe('where the agent runs'),
  image: statusSchema.shape.image.describe('the container image'),
  containerId: statusSchema.shape.containerId.describe("the agent's container"),
  pid: statusSchema.shape.pid.describe("the agent's process, for a host agent"),
  sessionId: statusSchema.shape.sessionId.describe("the agent's session (resume continues it)"),
  startedAt: statusSchema.shape.startedAt.describe('ISO 8601 time'),
  finishedAt: statusSchema.shape.finishedAt.describe('ISO 8601 time'),
  qa: statusSchema.shape.qa.describe('QA after the agent: its commands, outcome and log file'),
  usage: statusSchema.shape.usage.describe('tokens and cost the agent reported'),
  turns: statusSchema.shape.turns.describe('turns the agent reported'),
  deniedTools: statusSchema.shape.deniedTools.describe('tools the agent asked for and was denied'),
  pushed: statusSchema.shape.pushed.describe('the branch and commit pushed'),
  pullRequest: statusSchema.shape.pullRequest.describe('the pull request opened or updated'),
  review: statusSchema.shape.review.describe("a review's verdict, and whether it was posted"),
  warnings: statusSchema.shape.warnings.describe('things the run did not do, or did with a caveat'),
});

/** What a person wants to know when a run ends (src/core/run/summary.ts). */
export const runSummaryJson = z.object({
  outcome: z.string().describe('the state, refined: "completed (QA failed)", "completed (no changes)"'),
  reason: nullable(z.string(), 'why it ended as it did'),
  hint: nullable(z.string(), 'what to do about it'),
  pullRequest: nullable(z.string(), 'URL of the pull request opened or updated'),
  notPushed: nullable(z.string(), 'why no branch was pushed, when one was asked for or could have been'),
  reviewVerdict: nullable(z.enum(['approve', 'request-changes']), "a review's verdict"),
  qa: z
    .object({ state: z.string(), failedCommand: z.string().nullable(), reason: z.string().nullable(), hint: z.string().nullable() })
    .nullable()
    .describe('QA after the agent: passed, failed (with the command) or skipped'),
  deniedTools: z.array(z.string()).describe('tools the agent asked for and was denied'),
  costUsd: nullable(z.number(), 'reported cost in USD'),
  turns: nullable(z.number(), 'reported turns'),
  sessionId: nullable(z.string(), "the agent's session"),
  next: nullable(z.string(), 'the command that carries the run on (resume, answer)'),
});

/** `dispatch --wait --json`, `replay --wait --json`: the final status and its summary. */
export const finalRunJson = runStatusJson.extend({ summary: runSummaryJson.describe('the summary printed at the end') });

/** `dispatch --dry-run --json`: the plan, with the workspace ready and no agent started. */
export const dispatchPreviewJson = z.object({
  dryRun: z.literal(true),
  workspace: z.string().describe('the workspace directory'),
  repo: z.string().describe('org/name'),
  cloneUrl: z.string().describe('where the checkout came from'),
  target: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('issue'), number: z.number() }),
      z.object({ kind: z.literal('pr'), number: z.number() }),
      z.object({ kind: z.literal('branch'), name: z.string() }),
      z.object({ kind: z.literal('tag'), name: z.string() }),
      z.object({ kind: z.literal('adhoc'), id: z.string() }),
    ])
    .describe('what the run works on: issue, pr, branch, tag, or adhoc (--task alone)'),
  branch: nullable(z.string(), 'the branch checked out (null: detached)'),
  base: nullable(z.string(), 'the base branch for new work'),
  commit: z.string().describe('HEAD of the checkout'),
  reused: z.boolean().describe('the workspace existed and was brought up to date'),
  agent: z.string().describe('name or name:model'),
  pool: z.string().describe('the pool the run would count against'),
  template: z.string().describe('the prompt template'),
  persona: nullable(z.string(), 'the persona'),
  planTemplate: nullable(z.string(), 'the plan template'),
  prompt: z.string().describe('the rendered prompt'),
  promptPath: z.string().describe('where the prompt was written'),
  command: z.array(z.string()).describe("the agent CLI's argv"),
  promptVia: z.enum(['argument', 'stdin', 'file', 'none']).describe('how the prompt reaches the agent'),
  sessionId: nullable(z.string(), 'the session the run would start or continue'),
  after: z.array(z.string()).describe('the workspaces this run would wait for (--after)'),
  run: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('container'), runtime: z.enum(['docker', 'podman', 'apple', 'swarm']), image: z.string(), argv: z.array(z.string()) }),
      z.object({ kind: z.literal('host'), cwd: z.string(), argv: z.array(z.string()) }),
    ])
    .describe('where the agent would run, and the full command'),
  engine: z
    .object({
      runtime: z.enum(['docker', 'podman', 'apple', 'swarm']),
      warning: z.string().nullable(),
      realRunFails: z.object({ code: z.string(), reason: z.string(), hint: z.string().nullable() }).nullable(),
    })
    .nullable()
    .describe('the engine a real run would use, and why it would fail now (null for a host agent)'),
  env: z.object({ passed: z.array(z.string()), missing: z.array(z.string()) }).describe('names (never values) of the variables passed and missing'),
  copies: z.array(z.object({ from: z.string(), to: z.string() })).describe('files copied into the checkout'),
  setup: nullable(z.string(), 'command run in the workspace before the agent'),
  warnings: z.array(z.string()).describe('what the run would do differently from what was asked'),
});

/** A run as `status --json` and the MCP tool `list` show it. */
export const statusRunJson = runStatusJson.extend({
  waitingFor: z.string().optional().describe('why a queued run waits, as things stand now'),
  elapsedSeconds: nullable(z.number(), 'seconds since it started, or it ran'),
  summary: runSummaryJson.nullable().describe('for an ended run, its summary'),
});

/** `status --json`. */
export const statusJson = z.object({
  frozen: z.boolean().describe('no new runs start (agentctl freeze)'),
  runs: z.array(statusRunJson).describe('every run, or the one asked for'),
  pools: z
    .array(
      z.object({
        pool: z.string(),
        limit: z.number().describe('runs at once'),
        running: z.number(),
        queued: z.number(),
        pausedSeconds: z.number().describe('backoff left'),
        fastFails: z.number().describe('fast failures in a row'),
        costUsd: z.number().describe("reported cost of the pool's runs"),
        pausedUntil: z.string().optional().describe('while paused: until when (ISO)'),
        pausedFor: z.string().optional().describe('while paused for a usage limit: which one'),
      }),
    )
    .describe('each pool'),
  queue: z.array(z.string()).describe('queued workspaces, in the order they start'),
  chains: z
    .array(
      z.object({
        id: z.string(),
        name: z.string().optional().describe("the chain file's name"),
        state: z.enum(['running', 'completed', 'failed']),
        createdAt: z.string(),
        tasks: z.array(
          z.object({
            id: z.string(),
            workspace: z.string(),
            dependsOn: z.array(z.string()),
            state: z.string().describe("the task's run state, or superseded (a later run took its workspace) or missing"),
            reason: z.string().nullable(),
          }),
        ),
      }),
    )
    .describe('each chain (agentctl chain) and its tasks'),
  watchers: z
    .array(
      z.object({
        pid: z.number(),
        startedAt: z.string(),
        once: z.boolean(),
        running: z.boolean().describe('whether its process still lives'),
        routes: z.array(
          z.object({
            name: z.string(),
            lastPoll: z.string().optional(),
            nextPoll: z.string().optional(),
            failures: z.number().describe('failed polls in a row'),
            lastError: z.string().optional(),
          }),
        ),
      }),
    )
    .describe('each agentctl watch and its routes'),
});

/** The MCP tool `list`. */
export const listJson = z.object({
  runs: z.array(statusRunJson).describe('the runs that pass the filters, at most `limit`'),
  total: z.number().describe('how many passed the filters'),
});

/** The MCP tool `wait`. */
export const waitJson = z.object({
  ended: z.boolean().describe('false: the timeout passed first (the run goes on)'),
  status: runStatusJson.describe('the run as it stands'),
});

/** `doctor --json`. */
export const doctorJson = z.object({
  ok: z.boolean().describe('no check failed (exit 0; else exit 4)'),
  checks: z
    .array(
      z.object({
        id: z.string().describe('runtime.podman, image, cli.claude, agent.claude, forge.github, git, home, node, swarm.node.<host>, swarm.reach.<host> …'),
        status: z.enum(['ok', 'warn', 'fail']),
        message: z.string(),
        fix: z.string().nullable().describe('what to do about it'),
      }),
    )
    .describe('one per check'),
});

/** `events --json`: one object a line, as recorded. */
export const eventJson = z.looseObject({
  type: z.string().describe('queued, started, finished, blocked, answered, qa, pushed, pull-request, backoff, warning, … and the agent events of a run'),
  at: z.string().describe('ISO 8601 time'),
  workspace: z.string().describe('the run ("" for an event of agentctl as a whole: freeze, thaw, pool resume)'),
});

export type RunStatusJson = z.infer<typeof runStatusJson>;
export type FinalRunJson = z.infer<typeof finalRunJson>;
export type DispatchPreviewJson = z.infer<typeof dispatchPreviewJson>;
export type StatusJson = z.infer<typeof statusJson>;
export type ListJson = z.infer<typeof listJson>;
export type WaitJson = z.infer<typeof waitJson>;
export type DoctorJson = z.infer<typeof doctorJson>;
export type EventJson = z.infer<typeof eventJson>;

/** Each shape, with the commands that print it: the order and headings of docs/reference/json.md. */
export const JSON_SHAPES: ReadonlyArray<{ title: string; printedBy: string; schema: z.ZodObject }> = [
  { title: 'Dispatch preview', printedBy: 'Printed by `dispatch --dry-run --json`, `replay --dry-run --json`; MCP `dispatch` with `dryRun` (plus `id`)', schema: dispatchPreviewJson },
  { title: 'Run status', printedBy: 'Printed by `dispatch`, `resume` and `answer` with `--json` and no `--wait`, `cancel --json` (`null` when the stop found no run left to record); MCP `dispatch` (plus `id`, `prompt`), `cancel`, `resume`, `answer`', schema: runStatusJson },
  { title: 'Final run', printedBy: 'Printed by `dispatch`, `replay`, `resume` and `answer` with `--wait --json`', schema: finalRunJson },
  { title: 'Status', printedBy: 'Printed by `status --json`', schema: statusJson },
  { title: 'List', printedBy: 'Printed by MCP `list`', schema: listJson },
  { title: 'Wait', printedBy: 'Printed by MCP `wait`', schema: waitJson },
  { title: 'Doctor', printedBy: 'Printed by `doctor --json`', schema: doctorJson },
  { title: 'Event', printedBy: 'Printed by `events --json` (one object a line; more fields by type)', schema: eventJson },
];
