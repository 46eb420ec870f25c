/** Asks one question at a time and reads one line per answer. */
export interface Asker {
  /** Show the question and read one line; undefined when input has ended. */
  ask(question: string): Promise<string | undefined>;
  close(): void;
}

/**
 * An Asker over a stream of lines (stdin): questions are written with
 * `write` (stderr, so stdout stays data), answers read line by line.
 */
export async function lineAsker(input: NodeJS.ReadableStream, write: (text: string) => void): Promise<Asker> {
  const { createInterface } = await import('node:readline');
  // terminal: false: the terminal's own line editing echoes what is typed.
  const rl = createInterface({ input, terminal: false, crlfDelay: Infinity });
  const lines = rl[Symbol.asyncIterator]();
  return {
    async ask(question) {
      write(question);
      const next = await lines.next();
      return next.done === true ? undefined : String(next.value);
    },
    close: () => rl.close(),
  };
}

/** The real one: this process's stdin. */
export function stdinAsker(write: (text: string) => void): Promise<Asker> {
  return lineAsker(process.stdin, write);
}
