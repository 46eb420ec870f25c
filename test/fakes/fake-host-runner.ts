import { writeFileSync } from 'node:fs';
import type { HostRunner, HostStart } from '../../src/runtime/host-runner.js';
import type { Env } from '../../src/runtime/runtime.js';

/**
 * Host agents without processes: a test decides when and how each one ends,
 * and an ending leaves its exit code where the real wrapper would (the
 * AGENTCTL_EXIT path in its argv).
 */
export class FakeHostRunner implements HostRunner {
  readonly started: Array<{ spec: HostStart; env: Record<string, string | undefined>; pid: number }> = [];
  readonly stopped: number[] = [];
  private readonly running = new Set<number>();
  private nextPid = 4242;

  async start(spec: HostStart, env: Env): Promise<{ pid: number }> {
    const pid = this.nextPid++;
    this.started.push({ spec, env: Object.fromEntries(spec.passEnv.map((name) => [name, env[name]])), pid });
    this.running.add(pid);
    return { pid };
  }

  finish(pid: number, exitCode: number | undefined): void {
    this.running.delete(pid);
    const exitFile = this.started.find((s) => s.pid === pid)?.spec.argv.find((arg) => arg.startsWith('AGENTCTL_EXIT='));
    if (exitCode !== undefined && exitFile !== undefined) writeFileSync(exitFile.slice('AGENTCTL_EXIT='.length), `${exitCode}\n`);
  }

  alive(pid: number): boolean {
    return this.running.has(pid);
  }

  /** The real wrapper dies with its process group, before it can write an exit code. */
  async stop(pid: number): Promise<void> {
    this.stopped.push(pid);
    this.running.delete(pid);
  }
}
