import { readFileSync } from 'node:fs';

/** The exit code an agent wrapper left in its file, or undefined while there is none. */
export function readExitCode(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
