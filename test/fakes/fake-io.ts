import type { IO } from '../../src/cli/io.js';

export interface FakeIO extends IO {
  stdout: string;
  stderr: string;
  /** Every live status line shown, in order (stderr as a terminal only). */
  statusLines: string[];
}

/** Captures what a command writes; a terminal or not, as the test says. */
export function fakeIO(options: { isTTY?: boolean; stdinIsTTY?: boolean; stderrIsTTY?: boolean } = {}): FakeIO {
  const io: FakeIO = {
    stdout: '',
    stderr: '',
    statusLines: [],
    statusLine: options.stderrIsTTY === true ? (text) => void io.statusLines.push(text) : undefined,
    isTTY: options.isTTY ?? false,
    stdinIsTTY: options.stdinIsTTY ?? false,
    out: (text) => {
      io.stdout += text;
    },
    err: (text) => {
      io.stderr += text;
    },
  };
  return io;
}
