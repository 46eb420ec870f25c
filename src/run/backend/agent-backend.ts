import type { ContainerSpec, RuntimeName } from '../../core/container/container-spec.js';
import type { Env } from '../../runtime/runtime.js';
import type { RunStatus } from '../../core/run/status.js';
import type { CollectedWork } from '../../git/host-repo.js';
import type { RunPlan } from '../../core/run/run-plan.js';
import type { Job } from '../job-store.js';

/** Where a run's agent is: recorded in its status, so any agentctl process can find it again. */
export type AgentRef = { containerId: string; pid?: undefined } | { pid: number; containerId?: undefined };

/** Where a status says its agent is, if it got that far. */
export function agentRef(status: Pick<RunStatus, 'containerId' | 'pid'>): AgentRef | undefined {
  if (status.containerId !== undefined) return { containerId: status.containerId };
  return status.pid === undefined ? undefined : { pid: status.pid };
}

/** An agent the backend runs, as it labels it: which workspace and which run of it. */
export interface SeenAgent {
  ref: AgentRef;
  workspace: string;
  runCount: number;
  running: boolean;
}

/** What one look at an agent saw. */
export type AgentObservation =
  | { phase: 'running' }
  /** Created but not started yet: whoever created it may still be starting it. */
  | { phase: 'created' }
  /** Ended: the exit code from the engine while it still knows it, else from the outbox (0-255 only). */
  | {
      phase: 'ended';
      exitCode: number | undefined;
      killed: boolean;
      /** Why the agent ended without an exit code, when the backend knows (a cluster's node died: "node-lost: ..."). */
      lost?: string | undefined;
    };

/** The files an agent leaves for agentctl: its log, exit code and review in the outbox, its question in repo/. */
export type OutboxEntry = 'log' | 'exit-code' | 'review' | 'qa-log' | 'qa-failed' | 'question';

/** What an earlier run leaves that must not decide the next one. */
export const RUN_LEFTOVERS: readonly OutboxEntry[] = ['question', 'exit-code', 'review', 'qa-log', 'qa-failed'];

export interface BoundedRead {
  text: string;
  /** The entry held more than the bound; `size` is its full length in bytes. */
  truncated: boolean;
  size: number;
}

/** An outbox entry opened for reading in steps (the live log): a regular file, never through a link. */
export interface OpenEntry {
  size: number;
  /** Bytes read into `buffer` from `offset`; 0 at the end. */
  readAt(buffer: Buffer, offset: number, length: number): number;
  close(): void;
}

/**
 * What a run reads back from its agent. Everything here is untrusted: an
 * entry counts only as a regular file, opened without following a link,
 * and is read only up to a bound.
 */
export interface Outbox {
  /** At most `maxBytes` from the entry's start; undefined when there is no such regular file. */
  read(entry: OutboxEntry, maxBytes: number): BoundedRead | undefined;
  /** At most the entry's last `maxBytes`. */
  tail(entry: OutboxEntry, maxBytes: number): BoundedRead | undefined;
  open(entry: OutboxEntry): OpenEntry | undefined;
  /** Whether something (a file, a link, anything) is there, without following a link. */
  present(entry: OutboxEntry): boolean;
  /** When the entry last changed (ms since the epoch), for idle detection. */
  modifiedAt(entry: OutboxEntry): number | undefined;
  /** Remove entries an earlier run (or QA) left, links included, never following one. */
  clear(entries: readonly OutboxEntry[]): void;
  /** Add agentctl's own line to the log (a header between runs). */
  note(text: string): void;
}

/** Where QA runs for this run: always a container. `lend`: the workspace must be lent to the container's user for it. */
export interface QaSandbox {
  runtime: RuntimeName;
  image: string;
  lend: boolean;
  /** Create and start QA's container: the sandbox decides how it sees repo/ and outbox/ (bind mounts, or copies on a remote engine). */
  start(spec: ContainerSpec, env: Env): Promise<{ id: string }>;
  /** Once QA has ended, before its container goes: its outbox, where only the container has it. */
  bringBack(id: string): Promise<void>;
}

/**
 * The run port: what runs an agent. One adapter per kind of place (a local
 * engine, the host as an explicit opt-in; a remote engine later), and the
 * run services above it never ask which one they have, nor assume that the
 * agent shares our filesystem: they read its outputs through `outbox` and
 * take its work through `collectWork`.
 */
export interface AgentBackend {
  readonly runtime: RunStatus['runtime'];
  /** The version the agent's CLI reports where it will run (for the manifest), or undefined when it cannot say. `imageId`: the image's, when known. */
  cliVersion(plan: RunPlan, cli: string, workspace: string, imageId: string | undefined): Promise<string | undefined>;
  /** Before a new run is claimed: what an earlier run left (question, exit code, review) goes, so it cannot decide this one. */
  clearLeftovers(workspace: string): void;
  /**
   * A start is coming (dispatch has chosen this backend and prepares the
   * workspace): what any start here needs can get going now, beside that
   * preparation. Nothing is left behind when no start follows.
   */
  warm?(): void;
  /** Start run `runCount` of the job. Warnings say what the run should know (a host agent has no sandbox). */
  start(job: Job, runCount: number): Promise<{ ref: AgentRef; warnings: string[] }>;
  /**
   * The agent of a run whose start was never recorded (the starting process
   * died): where it runs, or, when it already ended and is gone, its exit code.
   */
  find(status: RunStatus): Promise<AgentRef | { exitCode: number } | undefined>;
  observe(status: RunStatus): Promise<AgentObservation>;
  /**
   * Wait `ms` before the next look at a running agent, or less once the
   * backend hears that it may have ended, so that a followed run's end is
   * seen when it happens. Optional: without it the caller just waits.
   */
  settle?(status: RunStatus, ms: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. Idempotent. */
  stop(ref: AgentRef, graceSeconds: number): Promise<void>;
  /** Remove what is left of an ended agent (its container). Idempotent. */
  remove(ref: AgentRef): Promise<void>;
  /**
   * Every agent this backend can see that agentctl started, whichever run it
   * belongs to, so that one no run claims is found and stopped. A backend
   * that cannot list its agents (the host) returns none.
   */
  agents(): Promise<SeenAgent[]>;
  outbox(workspace: string, agentBase: string): Outbox;
  /** The agent's work, brought into the host-owned repository; a failure is a warning. */
  collectWork(job: Job, status: RunStatus): Promise<{ work?: CollectedWork; warning?: string }>;
  qaSandbox(status: RunStatus): Promise<QaSandbox>;
  /** Once the run is finished: remove what is left of the agent, hand the workspace back. Returns warnings. */
  release(status: RunStatus, job: Job | undefined): Promise<string[]>;
}

/** The adapter for a run's runtime. */
export type AgentBackends = (runtime: RunStatus['runtime']) => Promise<AgentBackend>;
