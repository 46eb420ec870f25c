import { displayLine, displayOutput } from '../core/text/display-line.js';
import type { IO } from '../deps.js';

export type { IO };

export function processIO(proc: NodeJS.Process): IO {
  return {
    // Much of what is printed came from an agent, a repository or a forge: no escape sequence of theirs reaches the terminal.
    out: (text) => proc.stdout.write(displayOutput(text)),
    err: (text) => proc.stderr.write(displayOutput(text)),
    isTTY: proc.stdout.isTTY === true,
    // Carriage return and erase-line are agentctl's own; the text is cut to one terminal row so it never wraps
    // (a terminal that reports no width, such as a bare pty, gets a generous row).
    statusLine:
      proc.stderr.isTTY === true
        ? (text) => proc.stderr.write(`\r\u001b[2K${displayLine(text).slice(0, proc.stderr.columns > 1 ? proc.stderr.columns - 1 : 200)}`)
        : undefined,
    // Only `init` asks; touching process.stdin sets up a stream every other command would pay for.
    get stdinIsTTY() {
      return proc.stdin.isTTY === true;
    },
  };
}

/** Colour only for a person at a terminal. */
export function useColor(io: IO, env: Record<string, string | undefined>, json: boolean): boolean {
  return io.isTTY && !json && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb';
}

export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function paint(enabled: boolean): Paint {
  if (!enabled) {
    const id = (text: string) => text;
    return { bold: id, dim: id, green: id, yellow: id, red: id, cyan: id };
  }
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), yellow: wrap(33, 39), red: wrap(31, 39), cyan: wrap(36, 39) };
}
