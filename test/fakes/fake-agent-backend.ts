import type { RunPlan } from '../../src/core/run/run-plan.js';
import type { RunStatus } from '../../src/core/run/status.js';
import type { CollectedWork } from '../../src/git/host-repo.js';
import {
  RUN_LEFTOVERS,
  type AgentBackend,
  type AgentObservation,
  type AgentRef,
  type BoundedRead,
  type Outbox,
  type OutboxEntry,
  type QaSandbox,
  type SeenAgent,
} from '../../src/run/backend/agent-backend.js';
import type { Job } from '../../src/run/job-store.js';

interface FakeAgent {
  id: string;
  workspace: string;
  runCount: number;
  observation: AgentObservation;
}

/**
 * The run port with no engine and no shared filesystem: agents are records
 * a test ends when it likes, and each workspace's outbox lives in memory, so
 * a run service that read the workspace's files directly would see nothing.
 */
export class FakeAgentBackend implements AgentBackend {
  readonly started: Array<{ job: Job; runCount: number; id: string }> = [];
  readonly stopped: Array<{ id: string; graceSeconds: number }> = [];
  readonly released: string[] = [];
  readonly removed: string[] = [];
  readonly collected: string[] = [];
  /** Warnings `start` returns, as a host adapter's would. */
  startWarnings: string[] = [];
  /** When set, `start` waits for it after the agent exists (an engine slow to report the start). */
  startGate: Promise<void> | undefined;
  /** When set, the next `start` throws it. */
  startError: Error | undefined;
  /** What `collectWork` hands back. */
  work: { work?: CollectedWork; warning?: string } = { work: { commit: 'c0ffee', changed: true } };
  /** When set, `observe` throws it while the agent has not ended (a remote copy-back that keeps failing). */
  observeError: Error | undefined;
  /** Agents `find` reports for a workspace whose start was never recorded. */
  readonly orphans = new Map<string, AgentRef | { exitCode: number }>();
  private readonly byId = new Map<string, FakeAgent>();
  private readonly files = new Map<string, Map<OutboxEntry, { bytes: Buffer; at: number }>>();
  private counter = 0;

  constructor(readonly runtime: RunStatus['runtime'] = 'docker', private readonly now: () => number = () => Date.now()) {}

  /** An agent running as if some start had made it, whether or not any run knows of it. */
  plant(workspace: string, runCount: number): string {
    const id = `agent-${++this.counter}`;
    this.byId.set(id, { id, workspace, runCount, observation: { phase: 'running' } });
    return id;
  }

  /** The agent prints `text` to its log. */
  say(workspace: string, text: string): void {
    this.append(workspace, 'log', text);
  }

  /** The agent leaves `text` in an outbox entry (its question, its review, an exit code). */
  leave(workspace: string, entry: OutboxEntry, text: string): void {
    this.entries(workspace).set(entry, { bytes: Buffer.from(text), at: this.now() });
  }

  /** The agent ends as the engine reports it. */
  exit(id: string, exitCode: number | undefined, killed = false): void {
    const agent = this.byId.get(id);
    if (agent === undefined) throw new Error(`FakeAgentBackend: no agent ${id}`);
    agent.observation = { phase: 'ended', exitCode, killed };
  }

  async cliVersion(_plan: RunPlan, cli: string): Promise<string | undefined> {
    return `${cli} 1.0.0 (fake)`;
  }

  clearLeftovers(workspace: string): void {
    this.outbox(workspace, '').clear(RUN_LEFTOVERS);
  }

  async start(job: Job, runCount: number): Promise<{ ref: AgentRef; warnings: string[] }> {
    if (this.startError !== undefined) {
      const error = this.startError;
      this.startError = undefined;
      throw error;
    }
    const id = this.plant(job.workspace, runCount);
    this.started.push({ job, runCount, id });
    await this.startGate;
    return { ref: { containerId: id }, warnings: [...this.startWarnings] };
  }

  async find(status: RunStatus): Promise<AgentRef | { exitCode: number } | undefined> {
    return this.orphans.get(status.workspace);
  }

  async observe(status: RunStatus): Promise<AgentObservation> {
    const agent = status.containerId === undefined ? undefined : this.byId.get(status.containerId);
    if (this.observeError !== undefined && agent?.observation.phase !== 'ended') throw this.observeError;
    return agent?.observation ?? { phase: 'ended', exitCode: undefined, killed: false };
  }

  async stop(ref: AgentRef, graceSeconds: number): Promise<void> {
    if (ref.containerId === undefined) return;
    this.stopped.push({ id: ref.containerId, graceSeconds });
    const agent = this.byId.get(ref.containerId);
    if (agent !== undefined && agent.observation.phase !== 'ended') agent.observation = { phase: 'ended', exitCode: 143, killed: false };
  }

  async remove(ref: AgentRef): Promise<void> {
    if (ref.containerId !== undefined) this.removed.push(ref.containerId);
    if (ref.containerId !== undefined) this.byId.delete(ref.containerId);
  }

  async agents(): Promise<SeenAgent[]> {
    return [...this.byId.values()].map((agent) => ({
      ref: { containerId: agent.id },
      workspace: agent.workspace,
      runCount: agent.runCount,
      running: agent.observation.phase !== 'ended',
    }));
  }

  outbox(workspace: string, _agentBase: string): Outbox {
    const entries = this.entries(workspace);
    const bounded = (entry: OutboxEntry, maxBytes: number, fromEnd: boolean): BoundedRead | undefined => {
      const file = entries.get(entry);
      if (file === undefined) return undefined;
      const size = file.bytes.length;
      const part = fromEnd ? file.bytes.subarray(Math.max(0, size - maxBytes)) : file.bytes.subarray(0, maxBytes);
      return { text: part.toString('utf8'), truncated: size > maxBytes, size };
    };
    return {
      read: (entry, maxBytes) => bounded(entry, maxBytes, false),
      tail: (entry, maxBytes) => bounded(entry, maxBytes, true),
      open(entry) {
        const file = entries.get(entry);
        if (file === undefined) return undefined;
        return { size: file.bytes.length, readAt: (buffer, offset, length) => file.bytes.copy(buffer, 0, offset, offset + length), close: () => undefined };
      },
      present: (entry) => entries.has(entry),
      modifiedAt: (entry) => entries.get(entry)?.at,
      clear(names) {
        for (const name of names) entries.delete(name);
      },
      note: (text) => this.append(workspace, 'log', text),
    };
  }

  async collectWork(job: Job): Promise<{ work?: CollectedWork; warning?: string }> {
    this.collected.push(job.workspace);
    return this.work;
  }

  async qaSandbox(): Promise<QaSandbox> {
    throw new Error('FakeAgentBackend runs no QA');
  }

  async release(status: RunStatus): Promise<string[]> {
    this.released.push(status.containerId ?? String(status.pid));
    return [];
  }

  private entries(workspace: string): Map<OutboxEntry, { bytes: Buffer; at: number }> {
    let entries = this.files.get(workspace);
    if (entries === undefined) {
      entries = new Map();
      this.files.set(workspace, entries);
    }
    return entries;
  }

  private append(workspace: string, entry: OutboxEntry, text: string): void {
    const entries = this.entries(workspace);
    const before = entries.get(entry)?.bytes ?? Buffer.alloc(0);
    entries.set(entry, { bytes: Buffer.concat([before, Buffer.from(text)]), at: this.now() });
  }
}
