import { READ_BOUNDS } from '../../core/workspace/layout.js';
import type { Outbox } from './agent-backend.js';

/**
 * The exit code a wrapper left in the outbox, or undefined while there is
 * none. The agent can write there: only a regular file holding a plain
 * number from 0 to 255 counts.
 */
export function exitCodeIn(outbox: Outbox): number | undefined {
  const text = outbox.read('exit-code', READ_BOUNDS.exitCode)?.text.trim();
  if (text === undefined || !/^\d{1,3}$/.test(text)) return undefined;
  const code = Number(text);
  return code <= 255 ? code : undefined;
}
