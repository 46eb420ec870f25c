import { lstatSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { readUntrusted } from '../fs/untrusted-file.js';

/** The most entries of the agent's .git the host walks before it refuses the repository. */
export const MAX_GIT_ENTRIES = 200_000;

/**
 * Why git may not fetch from the agent's checkout as it stands, or undefined
 * when it may. Git serves a fetch from `<repo>/.git` with upload-pack, which
 * runs nothing the repository configures; but a `.git` that is a link or a
 * gitfile, a `commondir`, or an alternates file would make it serve objects
 * from elsewhere on the host, which would then be committed and pushed. So
 * would a link anywhere inside `.git` (objects/pack, packed-refs, refs/heads,
 * a loose object directory...), which upload-pack follows; and a FIFO or
 * device there would block it for ever. The whole `.git` is walked without
 * following links (the container has ended: nothing changes it meanwhile),
 * and any entry but a directory or regular file is refused, as is a `.git`
 * of more than `maxEntries` entries.
 */
export function agentRepoProblem(repoDir: string, maxEntries = MAX_GIT_ENTRIES): string | undefined {
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
  let entries = 0;
  return walk(gitDir, (path, kind) => {
    entries += 1;
    if (entries > maxEntries) return `${gitDir} holds more than ${maxEntries} entries`;
    return kind === 'dir' || kind === 'file' ? undefined : `${path} is a ${kind}`;
  });
}

type Kind = 'dir' | 'link' | 'file' | 'special file';

/**
 * Visit every entry under `root` (not `root` itself), depth first, links never
 * followed. `visit` answers a problem, which ends the walk, 'skip' to not
 * enter a directory, or undefined.
 */
function walk(root: string, visit: (path: string, kind: Kind) => string | 'skip' | undefined): string | undefined {
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let names: Dirent[];
    try {
      names = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      return `${dir} cannot be listed: ${(error as Error).message}`;
    }
    for (const entry of names) {
      const path = join(dir, entry.name);
      const kind = direntKind(entry, path);
      if (kind === undefined) continue; // gone meanwhile
      const verdict = visit(path, kind);
      if (verdict === 'skip') continue;
      if (verdict !== undefined) return verdict;
      if (kind === 'dir') pending.push(path);
    }
  }
  return undefined;
}

function direntKind(entry: Dirent, path: string): Kind | undefined {
  if (entry.isSymbolicLink()) return 'link';
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice()) return 'special file';
  return kindOf(path); // a file system that does not report types in its listing
}

/** The largest work-tree file the host will read into a commit. */
export const MAX_WORK_FILE_BYTES = 100 * 1024 ** 2;
/** The most work-tree entries the host walks before `git add` before it refuses the work. */
export const MAX_WORK_ENTRIES = 200_000;

/**
 * Why the host may not `git add` the agent's work tree, or undefined when it
 * may. `changed` are the paths (relative, a directory ending in "/") that
 * `git status` listed as changed or untracked: what `add --all` would read.
 * Each is walked without following links, refusing a file larger than
 * MAX_WORK_FILE_BYTES (git would hash it whole, and a push would send it), a
 * special file, a nested `.git` that is a link or a file (a gitfile: git
 * would record the HEAD of whatever repository it names as a gitlink), and a
 * nested repository at a path that is not a gitlink of the start tree
 * (`startGitlinks`); those gitlinks' own `.git` must not be a link or file either.
 */
export function workTreeProblem(repoDir: string, changed: readonly string[], startGitlinks: ReadonlySet<string>, maxEntries = MAX_WORK_ENTRIES): string | undefined {
  let entries = 0;
  const check = (path: string, kind: Kind): string | 'skip' | undefined => {
    entries += 1;
    if (entries > maxEntries) return `the work tree holds more than ${maxEntries} changed entries`;
    const rel = path.slice(repoDir.length + 1);
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (name === '.git') return rel === '.git' ? 'skip' : `${path} is a ${kind === 'dir' ? 'repository inside the work tree' : kind}`;
    if (kind === 'special file') return `${path} is a special file`;
    if (kind === 'file') {
      const size = sizeOf(path);
      return size !== undefined && size > MAX_WORK_FILE_BYTES ? `${path} is larger than ${MAX_WORK_FILE_BYTES} bytes (${size})` : undefined;
    }
    if (kind !== 'dir') return undefined; // a link, stored as a link
    const nested = kindOf(join(path, '.git'));
    if (nested === undefined) return undefined;
    if (nested !== 'dir') return `${join(path, '.git')} is a ${nested}`;
    return startGitlinks.has(rel) ? 'skip' : `${path} is a repository not in the start tree`;
  };
  for (const gitlink of startGitlinks) {
    const kind = kindOf(join(repoDir, gitlink, '.git'));
    if (kind !== undefined && kind !== 'dir') return `${join(repoDir, gitlink, '.git')} is a ${kind}`;
  }
  for (const rel of changed) {
    const path = join(repoDir, rel.replace(/\/+$/, ''));
    if (path === repoDir || !path.startsWith(`${repoDir}/`)) return `git status listed an unexpected path: ${JSON.stringify(rel)}`;
    const kind = kindOf(path);
    if (kind === undefined) continue; // deleted
    const verdict = check(path, kind);
    if (verdict === 'skip') continue;
    if (verdict !== undefined) return verdict;
    if (kind === 'dir') {
      const inner = walk(path, check);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

function sizeOf(path: string): number | undefined {
  try {
    return lstatSync(path).size;
  } catch {
    return undefined;
  }
}

function kindOf(path: string): Kind | undefined {
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
