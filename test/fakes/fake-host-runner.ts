import type { HostProcessState, HostRunner, HostStart } from '../../src/runtime/host-runner.js';
import type { Env } from '../../src/runtime/runtime.js';

/** Native agents without processes: a test decides when and how each one ends. */
export class FakeHostRunner implements HostRunner {
  readonly started: Array<{ spec: HostStart; env: Record<string, string | undefined>; pid: number }> = [];
  readonly stopped: number[] = [];
  private readonly states = new Map<number, HostProcessState>();
  private nextPid = 4242;

  async start(spec: HostStart, env: Env): Promise<{ pid: number }> {
    const pid = this.nextPid++;
    this.started.push({ spec, env: Object.fromEntries(spec.passEnv.map((name) => [name, env[name]])), pid });
    this.states.set(pid, { running: true, exitCode: undefined });
    return { pid };
  }

  finish(pid: number, exitCode: number | undefined): void {
    this.states.set(pid, { running: false, exitCode });
  }

  state(pid: number): HostProcessState {
    return this.states.get(pid) ?? { running: false, exitCode: undefined };
  }

  async stop(pid: number): Promise<void> {
    this.stopped.push(pid);
    this.states.set(pid, { running: false, exitCode: 143 });
  }
}
