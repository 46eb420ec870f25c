import { READ_BOUNDS } from '../core/workspace/layout.js';
import { readUntrusted } from '../fs/untrusted-file.js';

/**
 * The exit code a wrapper left in its file, or undefined while there is none.
 * The file sits where the agent can write: only a regular file holding a
 * plain number from 0 to 255 counts.
 */
export function readExitCode(path: string): number | undefined {
  const text = readUntrusted(path, READ_BOUNDS.exitCode)?.text.trim();
  if (text === undefined || !/^\d{1,3}$/.test(text)) return undefined;
  const code = Number(text);
  return code <= 255 ? code : undefined;
}
