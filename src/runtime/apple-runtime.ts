import { renderRunArgv, type ContainerSpec } from '../core/container/container-spec.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { Availability, ContainerRuntime, ContainerState, Env } from './runtime.js';

export interface ExecOptions {
  /** Added to our own environment for this one command. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs one command line; never throws for a non-zero exit. */
export type ExecFn = (argv: string[], options: ExecOptions) => Promise<ExecResult>;

export interface AppleRuntimeOptions {
  exec?: ExecFn;
  platform?: NodeJS.Platform;
  /** How often `wait` looks at the container; the CLI has no wait command. */
  pollMs?: number;
}

const PROGRAM = 'container';
const PROBE_TIMEOUT_MS = 5000;

async function execaExec(argv: string[], options: ExecOptions): Promise<ExecResult> {
  const { execa } = await import('execa');
  const [file, ...args] = argv;
  const result = await execa(file!, args, { env: options.env, timeout: options.timeoutMs, reject: false, stdin: 'ignore' });
  // A missing binary or a timeout has no exit code; its message says which.
  if (result.exitCode === undefined) return { stdout: '', stderr: String(result.message), exitCode: 127 };
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
}

/** The parts of `container inspect` / `container list --format json` output we read. */
interface AppleSnapshot {
  configuration?: { id?: string; labels?: Record<string, string> };
  /** A string before container 1.0, an object with `state` since. */
  status?: string | { state?: string; startedDate?: string | number };
  startedDate?: string | number;
}

/** Foundation's default JSON date: seconds since 2001-01-01T00:00:00Z. */
const APPLE_EPOCH_MS = Date.UTC(2001, 0, 1);

function appleDate(value: string | number | undefined): string | undefined {
  if (typeof value === 'number') return new Date(APPLE_EPOCH_MS + value * 1000).toISOString();
  return value;
}

function toState(snapshot: AppleSnapshot): ContainerState {
  const status = typeof snapshot.status === 'object' ? snapshot.status : { state: snapshot.status };
  const state = status.state ?? 'unknown';
  return {
    id: snapshot.configuration?.id ?? '',
    running: state === 'running' || state === 'stopping',
    // Apple's container snapshot carries no exit code (apple/container ContainerSnapshot).
    exitCode: undefined,
    killed: false,
    labels: snapshot.configuration?.labels ?? {},
    startedAt: appleDate(status.startedDate ?? snapshot.startedDate),
    finishedAt: undefined,
  };
}

/** Apple's `container` CLI (macOS), driven as a subprocess. */
export class AppleRuntime implements ContainerRuntime {
  readonly name = 'apple' as const;
  private readonly exec: ExecFn;
  private readonly platform: NodeJS.Platform;
  private readonly pollMs: number;

  constructor(options: AppleRuntimeOptions = {}) {
    this.exec = options.exec ?? execaExec;
    this.platform = options.platform ?? process.platform;
    this.pollMs = options.pollMs ?? 1000;
  }

  private fail(call: string, result: ExecResult, hint?: string): AgentctlError {
    const reason = result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`;
    return new AgentctlError('engine_error', `Apple container ${call} failed: ${reason}`, {
      exitCode: ExitCode.environment,
      hint: hint ?? 'Check that Apple container is running: `container system status`, then `container system start`.',
    });
  }

  private async run(call: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec([PROGRAM, ...args], options);
    if (result.exitCode !== 0 && !/not found/i.test(result.stderr)) throw this.fail(call, result);
    return result;
  }

  async probe(): Promise<Availability> {
    const result = { runtime: this.name, endpoint: PROGRAM };
    if (this.platform !== 'darwin') return { ...result, ok: false, detail: 'Apple container runs only on macOS' };
    const version = await this.exec([PROGRAM, '--version'], { timeoutMs: PROBE_TIMEOUT_MS });
    if (version.exitCode !== 0) return { ...result, ok: false, detail: version.stderr.trim() || 'the container CLI is not installed' };
    const status = await this.exec([PROGRAM, 'system', 'status'], { timeoutMs: PROBE_TIMEOUT_MS });
    if (status.exitCode !== 0) {
      return { ...result, ok: false, detail: `container services are not running (container system start): ${status.stderr.trim() || status.stdout.trim()}` };
    }
    return { ...result, ok: true, detail: version.stdout.trim() };
  }

  async hasImage(image: string): Promise<boolean> {
    const result = await this.run(`image inspect ${image}`, ['image', 'inspect', image]);
    return result.exitCode === 0;
  }

  async imageId(image: string): Promise<string | undefined> {
    const result = await this.run(`image inspect ${image}`, ['image', 'inspect', image]);
    if (result.exitCode !== 0) return undefined;
    try {
      const [first] = JSON.parse(result.stdout) as Array<{ index?: { digest?: string }; digest?: string }>;
      return first?.index?.digest ?? first?.digest;
    } catch {
      return undefined;
    }
  }

  async start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
    if (spec.stdin) {
      // A detached container has nobody to feed its stdin; the agent would read EOF.
      throw new AgentctlError('engine_stdin', 'Apple containers are started detached and cannot take the prompt on stdin.', {
        exitCode: ExitCode.failure,
        hint: 'Pass the prompt as an argument or a file for container runs.',
      });
    }
    if (spec.hardening.network === 'none') {
      throw new AgentctlError('engine_network', 'Apple container cannot run a container without a network (runtime.network: none).', {
        exitCode: ExitCode.config,
        hint: 'Use Docker or Podman for this agent, or set its network to "bridge" (agents.<name>.network).',
      });
    }
    // `--env NAME` makes the CLI copy NAME from its own environment, so the
    // secret travels in the child's env, never in argv. Unset names are left
    // out, or the CLI would pick them up from ours.
    const secrets: Record<string, string> = {};
    const entries = spec.env.filter((entry) => {
      if (entry.value !== undefined) return true;
      const value = env[entry.name];
      if (value !== undefined) secrets[entry.name] = value;
      return value !== undefined;
    });
    const argv = renderRunArgv('apple', { ...spec, env: entries });
    const result = await this.exec(argv, { env: secrets });
    if (result.exitCode !== 0) throw this.fail(`run of ${spec.name}`, result);
    // `run --detach` prints the container id last.
    const id = result.stdout.trim().split('\n').at(-1)?.trim();
    if (!id) throw this.fail(`run of ${spec.name}`, { ...result, stderr: 'printed no container id' });
    return { id };
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const result = await this.run(`inspect ${id}`, ['inspect', id]);
    if (result.exitCode !== 0) return undefined;
    const snapshots = JSON.parse(result.stdout || '[]') as AppleSnapshot[];
    return snapshots[0] === undefined ? undefined : toState(snapshots[0]);
  }

  async wait(id: string): Promise<{ exitCode: number }> {
    for (;;) {
      const state = await this.inspect(id);
      if (state === undefined) throw this.fail(`wait for ${id}`, { stdout: '', stderr: 'container not found', exitCode: 1 });
      if (!state.running) {
        throw new AgentctlError('engine_exit_code', `Apple container ${id} stopped, but the container CLI does not report exit codes.`, {
          exitCode: ExitCode.environment,
          hint: 'Use Docker or Podman when the run needs the agent exit code.',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  async list(labels: Record<string, string | true>): Promise<ContainerState[]> {
    const result = await this.run('list', ['list', '--all', '--format', 'json']);
    const states = (JSON.parse(result.stdout || '[]') as AppleSnapshot[]).map(toState);
    return states.filter((state) => Object.entries(labels).every(([key, value]) => (value === true ? key in state.labels : state.labels[key] === value)));
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    await this.run(`stop of ${id}`, ['stop', '--time', String(graceSeconds), id]);
  }

  async remove(id: string): Promise<void> {
    await this.run(`delete of ${id}`, ['delete', id]);
  }
}
