import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { readUntrusted } from '../fs/untrusted-file.js';

/**
 * Why git may not fetch from the agent's checkout as it stands, or undefined
 * when it may. Git serves a fetch from `<repo>/.git` with upload-pack, which
 * runs nothing the repository configures; but a `.git` that is a link or a
 * gitfile, a `commondir`, or an alternates file would make it serve objects
 * from elsewhere on the host, which would then be committed and pushed.
 */
export function agentRepoProblem(repoDir: string): string | undefined {
  const gitDir = join(repoDir, '.git');
  const mustBeDirs = [repoDir, gitDir, join(gitDir, 'objects'), join(gitDir, 'refs')];
  for (const path of mustBeDirs) {
    const kind = kindOf(path);
    if (kind !== 'dir') return `${path} is ${kind === undefined ? 'missing' : `a ${kind}, not a directory`}`;
  }
  const mustBeAbsent = [join(gitDir, 'commondir'), join(gitDir, 'objects', 'info', 'alternates'), join(gitDir, 'objects', 'info', 'http-alternates')];
  for (const path of mustBeAbsent) {
    if (kindOf(path) !== undefined) return `${path} points the repository elsewhere`;
  }
  return undefined;
}

function kindOf(path: string): 'dir' | 'link' | 'file' | 'special file' | undefined {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return 'link';
    if (stat.isDirectory()) return 'dir';
    return stat.isFile() ? 'file' : 'special file';
  } catch {
    return undefined;
  }
}

/**
 * Whether the checkout's HEAD is still exactly `start`, read from its HEAD
 * and loose ref files as data (bounded, links not followed). True lets the
 * host skip fetching: it then takes the start, a commit it trusts, as the
 * agent's last commit. A checkout that only pretends so hides its own
 * commits, nothing more; anything unclear (packed refs, odd names) answers
 * false, and the work is fetched.
 */
export function headIsStill(repoDir: string, start: string): boolean {
  const gitDir = join(repoDir, '.git');
  const head = readUntrusted(join(gitDir, 'HEAD'), 512)?.text.trim();
  if (head === undefined) return false;
  if (head === start) return true;
  const ref = /^ref: (refs\/heads\/[A-Za-z0-9._/-]+)$/.exec(head)?.[1];
  if (ref === undefined || ref.split('/').some((part) => part === '' || part === '.' || part === '..')) return false;
  return readUntrusted(join(gitDir, ref), 128)?.text.trim() === start;
}
