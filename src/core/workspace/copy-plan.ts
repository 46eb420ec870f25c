import { isAbsolute, normalize } from 'node:path';
import { usageError } from '../errors.js';

export interface CopyStep {
  /** Where the file comes from: relative to the new checkout, or an absolute path on this machine. */
  from: string;
  /** Where it goes, relative to the checkout. */
  to: string;
}

function inside(path: string, what: string): string {
  const clean = normalize(path);
  if (clean === '' || clean === '.' || isAbsolute(clean) || clean === '..' || clean.startsWith('../') || /[\u0000-\u001f]/.test(path)) {
    throw usageError('invalid_copy', `invalid ${what} ${JSON.stringify(path)} in repos.<repo>.copy: it must stay inside the checkout`, 'use a relative path such as .env');
  }
  return clean;
}

/**
 * The files to copy into a new workspace from repos.<repo>.copy: "a.env"
 * keeps its name, {from, to} renames (".env.example" → ".env"); a `from`
 * may also be an absolute or ~/ path on this machine. Nothing may land
 * outside the checkout.
 */
export function planCopies(entries: ReadonlyArray<string | { from: string; to: string }>, home: string): CopyStep[] {
  return entries.map((entry) => {
    const from = typeof entry === 'string' ? entry : entry.from;
    const to = typeof entry === 'string' ? entry : entry.to;
    const source = from.startsWith('~/') ? `${home}/${from.slice(2)}` : isAbsolute(from) ? from : inside(from, '"from"');
    return { from: source, to: inside(to, '"to"') };
  });
}
