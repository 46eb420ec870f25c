import type { Readable } from 'node:stream';
import { AgentctlError, ExitCode } from '../core/errors.js';

/** timeouts.transfer's default: a large checkout over a slow link fits; an endless stream does not. */
export const DEFAULT_TRANSFER_SECONDS = 600;

/**
 * A deadline over one copy to or from a remote engine (getArchive,
 * putArchive). The engine's stream is the agent's to shape: a sparse
 * file of terabytes streams for hours, and nothing else would stop it.
 * When the time is up, the request is aborted and a stream it handed out
 * ends with an error saying so, not a hang.
 */
export class TransferDeadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly streams: Readable[] = [];
  /** Set once the time is up. */
  expired: AgentctlError | undefined;

  constructor(what: string, seconds: number) {
    this.timer = setTimeout(() => {
      this.expired = new AgentctlError('transfer_timeout', `${what} took longer than ${seconds} s`, {
        exitCode: ExitCode.environment,
        hint: 'raise timeouts.transfer if the link is slow; a workspace that holds a huge (or sparse) file cannot come back whole',
      });
      this.controller.abort(this.expired);
      for (const stream of this.streams) stream.destroy(this.expired);
    }, seconds * 1000);
    // The copy's own socket keeps the process alive; the deadline must not once the copy is done.
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Bound a stream the request handed out: it fails at the deadline; its end ends the deadline. */
  watch(stream: Readable): Readable {
    this.streams.push(stream);
    stream.once('close', () => this.clear());
    return stream;
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
