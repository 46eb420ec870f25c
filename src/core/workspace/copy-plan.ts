import { isAbsolute, normalize } from 'node:path';
import { usageError } from '../errors.js';

export interface CopyStep {
  /** Where the file comes from: relative to the new checkout, or an absolute path on this machine. */
  from: string;
  /** Where it goes, relative to the checkout. */
  to: string;
}

/** Which side of a copy entry a path is: a plain entry is both the source and the target. */
export type CopyRole = 'entry' | 'from' | 'to';

const SUCH_AS = 'such as .env';

/**
 * Why a path of a repos.<repo>.copy entry is refused, or undefined when it is
 * fine. Only a `from` may lie outside the checkout (an absolute or ~/ path on
 * this machine); whatever is written lands inside it.
 */
export function copyPathProblem(path: string, role: CopyRole): string | undefined {
  const quoted = JSON.stringify(path);
  if (/[\u0000-\u001f]/.test(path)) return `${quoted} has control characters; it must be a plain relative path, ${SUCH_AS}`;
  if (role === 'from' && (isAbsolute(path) || path.startsWith('~/'))) return undefined;
  const clean = normalize(path);
  if (clean === '' || clean === '.') return `${quoted} names no file; it must be a relative path inside the checkout, ${SUCH_AS}`;
  if (isAbsolute(clean)) {
    return role === 'entry'
      ? `${quoted} is an absolute path, and a plain entry is copied to the same path inside the checkout; name a file of the checkout ${SUCH_AS}, or copy from elsewhere with { from: ${path}, to: <path in the checkout> }`
      : `${quoted} is an absolute path; it must be a relative path inside the checkout, ${SUCH_AS}`;
  }
  if (clean === '..' || clean.startsWith('../')) {
    return `${quoted} leaves the checkout; it must be a relative path inside it, ${SUCH_AS}${role === 'from' ? ', or an absolute or ~/ path on this machine' : ''}`;
  }
  return undefined;
}

function inside(path: string, role: CopyRole, field: string): string {
  const problem = copyPathProblem(path, role);
  if (problem !== undefined) throw usageError('invalid_copy', `invalid ${field}: ${problem}`, 'fix repos.<org/name>.copy in the config');
  return normalize(path);
}

/**
 * The files to copy into a new workspace from repos.<repo>.copy: "a.env"
 * keeps its name, {from, to} renames (".env.example" → ".env"); a `from`
 * may also be an absolute or ~/ path on this machine. Nothing may land
 * outside the checkout.
 */
export function planCopies(entries: ReadonlyArray<string | { from: string; to: string }>, home: string, field: string): CopyStep[] {
  return entries.map((entry, index) => {
    const at = `${field}[${index}]`;
    if (typeof entry === 'string') {
      const clean = inside(entry, 'entry', at);
      return { from: entry.startsWith('~/') ? `${home}/${entry.slice(2)}` : clean, to: clean };
    }
    const { from } = entry;
    const source = from.startsWith('~/') ? `${home}/${from.slice(2)}` : isAbsolute(from) ? from : inside(from, 'from', `${at}.from`);
    return { from: source, to: inside(entry.to, 'to', `${at}.to`) };
  });
}
