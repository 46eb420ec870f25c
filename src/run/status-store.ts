import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { RunStatus } from '../core/run/status.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { workspaceLayout } from '../core/workspace/layout.js';

const qaSchema = z.object({
  state: z.enum(['passed', 'failed', 'skipped']),
  failedCommand: z.string().optional(),
  commands: z.array(z.string()),
  log: z.string(),
  reason: z.string().optional(),
  hint: z.string().optional(),
});

/** status.json is our own file, but a crash or a hand edit can still make it anything. */
export const statusSchema = z.object({
  version: z.literal(1),
  state: z.enum(['prepared', 'queued', 'running', 'completed', 'failed', 'blocked', 'cancelled']),
  workspace: z.string(),
  repo: z.string(),
  agent: z.string(),
  pool: z.string(),
  runtime: z.enum(['docker', 'podman', 'apple', 'swarm', 'host']),
  image: z.string().optional(),
  containerId: z.string().optional(),
  pid: z.number().int().optional(),
  sessionId: z.string().optional(),
  runCount: z.number().int().nonnegative(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  exitCode: z.number().int().optional(),
  reason: z.string().optional(),
  question: z.string().optional(),
  answeredBy: z.string().optional(),
  qa: qaSchema.optional(),
  owner: z.object({ uid: z.number().int(), gid: z.number().int() }).optional(),
  hint: z.string().optional(),
  startFailure: z.enum(['cli-missing', 'runs-as-root', 'flags-rejected']).optional(),
  priority: z.number().int().optional(),
  seq: z.number().int().optional(),
  queuedAt: z.string().optional(),
  waitingFor: z.string().optional(),
  notBefore: z.string().optional(),
  usageLimit: z.object({ what: z.string(), until: z.string(), by: z.enum(['reset', 'backoff']), capped: z.boolean() }).optional(),
  limitRequeues: z.number().int().nonnegative().optional(),
  claimedBy: z.number().int().optional(),
  after: z.array(z.string()).optional(),
  dependencyFailed: z.string().optional(),
  chain: z.object({ id: z.string(), task: z.string() }).optional(),
  timeoutSeconds: z.number().int().optional(),
  idleSeconds: z.number().int().optional(),
  budgetUsd: z.number().optional(),
  stopReason: z.enum(['timeout', 'cancelled', 'idle', 'budget']).optional(),
  progress: z.array(z.string()).optional(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number().optional() }).optional(),
  turns: z.number().int().optional(),
  deniedTools: z.array(z.string()).optional(),
  noChanges: z.boolean().optional(),
  startCommit: z.string().optional(),
  pushed: z.object({ branch: z.string(), commit: z.string() }).optional(),
  pullRequest: z.object({ number: z.number().int(), url: z.string() }).optional(),
  review: z.object({ verdict: z.enum(['approve', 'request-changes']).optional(), posted: z.boolean() }).optional(),
  warnings: z.array(z.string()),
});

export function statusPath(workspace: string): string {
  return workspaceLayout(workspace).status;
}

export function readStatus(workspace: string): RunStatus | undefined {
  let text: string;
  try {
    text = readFileSync(statusPath(workspace), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = statusSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as RunStatus) : undefined;
  } catch {
    return undefined;
  }
}

export function writeStatus(status: RunStatus): void {
  writeJsonAtomic(statusPath(status.workspace), status);
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.includes('.tmp-'))
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

/** Every workspace under $AGENTCTL_HOME/workspace/<org>/<repo>/<slot>. */
export function listWorkspaces(home: string): string[] {
  return subdirs(join(home, 'workspace'))
    .flatMap(subdirs)
    .flatMap(subdirs)
    .sort();
}
