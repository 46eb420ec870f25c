import { join } from 'node:path';

/**
 * The one place that knows where a workspace's files live.
 *
 * A workspace is split by trust:
 * - `repo/`   the agent's checkout: mounted read-write, untrusted afterwards;
 * - `outbox/` the agent's few outputs (log, exit code, review): mounted
 *             read-write, read back only as bounded regular files;
 * - `inbox/`  what agentctl hands the agent (the prompt): mounted read-only;
 * - `.meta/`  agentctl's own state (status, job, manifest, record, locks,
 *             events, QA log, the host-owned git repository): never mounted.
 */
export interface WorkspaceLayout {
  root: string;
  repo: string;
  outbox: string;
  inbox: string;
  meta: string;
  /** The prompt as the host wrote it (inbox, read-only to the agent). */
  prompt: string;
  status: string;
  job: string;
  manifest: string;
  /** workspace.json: what the workspace was made for. */
  record: string;
  events: string;
  ingest: string;
  /** The host-owned repository the agent's work is fetched into before anything commits or pushes. */
  hostGit: string;
  /** The checkout's index as the host made it, before any agent ran: where collecting the agent's work starts from. */
  startIndex: string;
  /** The host copy of the QA log (QA writes it into the outbox; agentctl copies it here, bounded). */
  qaLog: string;
  /** A host agent's wrapper pid (host agents only, an explicit opt-in). */
  pid: string;
  cliVersion: string;
  /** A Swarm run's transfer: its courier's record and what came back (runtime swarm only). */
  swarm: string;
}

export const META_DIR = '.meta';

export function workspaceLayout(root: string): WorkspaceLayout {
  const meta = join(root, META_DIR);
  const inbox = join(root, 'inbox');
  return {
    root,
    repo: join(root, 'repo'),
    outbox: join(root, 'outbox'),
    inbox,
    meta,
    prompt: join(inbox, 'prompt.md'),
    status: join(meta, 'status.json'),
    job: join(meta, 'job.json'),
    manifest: join(meta, 'manifest.json'),
    record: join(meta, 'workspace.json'),
    events: join(meta, 'events.jsonl'),
    ingest: join(meta, 'ingest.json'),
    hostGit: join(meta, 'git'),
    startIndex: join(meta, 'start-index'),
    qaLog: join(meta, 'qa.log'),
    pid: join(meta, 'pid'),
    cliVersion: join(meta, 'cli-version.txt'),
    swarm: join(meta, 'swarm'),
  };
}

/** Where the container sees the workspace's mounted parts. */
export const CONTAINER_PATHS = {
  root: '/workspace',
  repo: '/workspace/repo',
  outbox: '/workspace/outbox',
  inbox: '/workspace/inbox',
  prompt: '/workspace/inbox/prompt.md',
} as const;

/** Files in an outbox, by name: the same names on the host and in the container. */
export function outboxFiles(outboxDir: string, agentBase: string) {
  return {
    log: join(outboxDir, `agent-${agentBase}.log`),
    exitCode: join(outboxDir, 'exit-code'),
    review: join(outboxDir, 'review.md'),
    qaLog: join(outboxDir, 'qa.log'),
    qaFailed: join(outboxDir, 'qa-failed-command'),
  };
}

/** Bounds on what is read back from a container or a repository. */
export const READ_BOUNDS = {
  /** BLOCKED.md, review output: 64 KiB. */
  question: 64 * 1024,
  review: 64 * 1024,
  exitCode: 64,
  /** A repository's instruction files (AGENTS.md, CLAUDE.md), each. */
  instructions: 64 * 1024,
  /** QA failed-command note. */
  qaFailed: 4 * 1024,
  /** The end of the QA log kept on the host. */
  qaLog: 1024 * 1024,
} as const;
