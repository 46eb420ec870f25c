import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerSpec, RuntimeName } from '../../src/core/container/container-spec.js';
import { resolveEnv } from '../../src/runtime/dockerode-runtime.js';
import type { Availability, ContainerRuntime, ContainerState, Env } from '../../src/runtime/runtime.js';

export interface StartedContainer {
  id: string;
  spec: ContainerSpec;
  /** `NAME=value` as an engine would receive it, pass-through names resolved. */
  env: string[];
}

/**
 * The exit-code file our agent wrapper writes inside the container
 * (AGENTCTL_EXIT=... in its argv), as a host path, or undefined when the
 * command is not wrapped.
 */
function wrapperExitFile(spec: ContainerSpec): string | undefined {
  const path = spec.argv.find((arg) => arg.startsWith('AGENTCTL_EXIT='))?.slice('AGENTCTL_EXIT='.length);
  const mount = spec.mounts.find((m) => path?.startsWith(`${m.containerPath}/`));
  return path === undefined || mount === undefined ? undefined : join(mount.hostPath, path.slice(mount.containerPath.length + 1));
}

/**
 * An in-memory engine for command tests: containers start "running" and stay
 * so until the test calls `exit` (or `stop` is called), as a real agent would.
 * An agent wrapper's exit code lands in the workspace as the real one writes
 * it, and a container created to auto-remove is gone the moment it exits
 * (the soonest a real engine could remove it).
 */
export class FakeRuntime implements ContainerRuntime {
  readonly started: StartedContainer[] = [];
  readonly stopped: Array<{ id: string; graceSeconds: number }> = [];
  readonly removed: string[] = [];
  /** Containers the engine removed on its own as they exited. */
  readonly autoRemoved: string[] = [];
  readonly images = new Set<string>();
  availability: Availability;
  /** When set, the next `start` throws it. */
  startError: Error | undefined;
  private readonly containers = new Map<string, ContainerState>();
  private readonly specs = new Map<string, ContainerSpec>();
  private readonly waiters = new Map<string, Array<(exitCode: number) => void>>();
  private counter = 0;

  constructor(readonly name: RuntimeName = 'docker') {
    this.availability = { runtime: name, ok: true, detail: 'Fake Engine 1.0', endpoint: 'fake://' };
  }

  async probe(): Promise<Availability> {
    return { ...this.availability };
  }

  async imageId(image: string): Promise<string | undefined> {
    return this.images.has(image) ? `sha256:fake-${image}` : undefined;
  }

  async hasImage(image: string): Promise<boolean> {
    return this.images.has(image);
  }

  async start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
    if (this.startError !== undefined) {
      const error = this.startError;
      this.startError = undefined;
      throw error;
    }
    this.counter += 1;
    const id = `fake-${this.counter}`;
    this.started.push({ id, spec, env: resolveEnv(spec.env, env) });
    this.specs.set(id, spec);
    this.add({ id, running: true, exitCode: undefined, killed: false, labels: { ...spec.labels }, startedAt: new Date().toISOString(), finishedAt: undefined });
    return { id };
  }

  /** Put a container in place, e.g. one a previous agentctl process started. */
  add(state: ContainerState): void {
    this.containers.set(state.id, { ...state, labels: { ...state.labels } });
  }

  /** The container's process ends with `exitCode`. */
  exit(id: string, exitCode: number, killed = false): void {
    const state = this.containers.get(id);
    if (state === undefined) throw new Error(`FakeRuntime: no container ${id}`);
    this.containers.set(id, { ...state, running: false, exitCode, killed, finishedAt: new Date().toISOString() });
    for (const resolve of this.waiters.get(id) ?? []) resolve(exitCode);
    this.waiters.delete(id);
    const spec = this.specs.get(id);
    const exitFile = spec === undefined ? undefined : wrapperExitFile(spec);
    if (exitFile !== undefined) {
      mkdirSync(dirname(exitFile), { recursive: true });
      writeFileSync(exitFile, `${exitCode}\n`);
    }
    if (spec?.autoRemove === true) {
      this.containers.delete(id);
      this.autoRemoved.push(id);
    }
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const state = this.containers.get(id);
    return state === undefined ? undefined : { ...state, labels: { ...state.labels } };
  }

  async wait(id: string): Promise<{ exitCode: number }> {
    const state = this.containers.get(id);
    if (state === undefined) throw new Error(`FakeRuntime: no container ${id}`);
    if (!state.running) return { exitCode: state.exitCode ?? 0 };
    const exitCode = await new Promise<number>((resolve) => {
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]);
    });
    return { exitCode };
  }

  async list(labels: Record<string, string | true>): Promise<ContainerState[]> {
    const all = await Promise.all([...this.containers.keys()].map((id) => this.inspect(id)));
    return all.filter(
      (state): state is ContainerState => state !== undefined && Object.entries(labels).every(([key, value]) => (value === true ? key in state.labels : state.labels[key] === value)),
    );
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    this.stopped.push({ id, graceSeconds });
    // 143 = killed by SIGTERM, what a well-behaved agent reports.
    if (this.containers.get(id)?.running) this.exit(id, 143);
  }

  async remove(id: string): Promise<void> {
    this.removed.push(id);
    this.containers.delete(id);
  }
}
