import type { Readable } from 'node:stream';
import type { ContainerSpec, RuntimeName } from '../core/container/container-spec.js';
import type { EngineLocation } from './engine-endpoint.js';
import type { SwarmManager } from './swarm-runtime.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** What an engine reports about one container. */
export interface ContainerState {
  id: string;
  running: boolean;
  /** Set once the container has exited. */
  exitCode: number | undefined;
  /** The engine's OOM/kill flag, when it has one. */
  killed: boolean;
  labels: Record<string, string>;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface Availability {
  runtime: RuntimeName;
  ok: boolean;
  /** Engine version when ok; why not when not ok. */
  detail: string;
  /** Where we looked (socket URL, binary). */
  endpoint: string;
  location?: EngineLocation | undefined;
}

/**
 * One container engine. Specs name the workspace by its local path and the
 * adapter decides how the engine gets it (a bind mount for a local engine; a
 * remote adapter could copy it in and back), so nothing above this interface
 * assumes the engine shares our filesystem.
 */
export interface ContainerRuntime {
  readonly name: RuntimeName;
  /** Is the engine installed and answering (with its version unless `version: false`)? Never throws. */
  probe(options?: { version?: boolean }): Promise<Availability>;
  /** Does the image exist locally? */
  hasImage(image: string): Promise<boolean>;
  /** The image's ID (a digest), or undefined when the engine cannot say. */
  imageId(image: string): Promise<string | undefined>;
  /**
   * Create and start a detached container. Pass-through env entries (no
   * value) are resolved from `env` inside the engine call, never written to
   * a command line or file.
   */
  start(spec: ContainerSpec, env: Env): Promise<{ id: string }>;
  /** Current state, or undefined when the container no longer exists. */
  inspect(id: string): Promise<ContainerState | undefined>;
  /** Block until the container exits; resolves with its exit code. */
  wait(id: string): Promise<{ exitCode: number }>;
  /** Containers carrying all of these labels: with that value, or (`true`) with any value. */
  list(labels: Record<string, string | true>): Promise<ContainerState[]>;
  /**
   * Resolves after `ms`, or sooner once the engine reports that a matching
   * container (this id, or carrying all these labels) has died since the
   * call. Never rejects: without such news the timer ends the wait. An
   * engine without an events stream has no such method.
   */
  died?(match: { id: string } | { labels: Record<string, string> }, ms: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. Idempotent. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Remove a stopped container. Idempotent. */
  remove(id: string): Promise<void>;
  /** Set when the engine does not share this machine's filesystem: what a run needs to work without bind mounts. */
  readonly remote?: RemoteEngine | undefined;
  /** Set for runtime swarm: the manager's job, secret and node calls (the container calls are the manager engine's own). */
  readonly swarm?: SwarmManager | undefined;
}

/**
 * An engine across a connection (SSH, TLS): the workspace goes in and comes
 * back as tar archives, and nothing of this machine is bind-mounted.
 */
export interface RemoteEngine {
  readonly location: Exclude<EngineLocation, 'local'>;
  /** Create, not start: `spec.mounts` and `configMounts` are ignored; /workspace is a volume of the engine's own. */
  create(spec: ContainerSpec, env: Env): Promise<{ id: string }>;
  startCreated(id: string): Promise<void>;
  /** Extract a tar archive into the container at `path` (created or running). */
  putArchive(id: string, path: string, archive: Readable): Promise<void>;
  /** A tar archive of `path` in the container; untrusted. */
  getArchive(id: string, path: string): Promise<Readable>;
}
