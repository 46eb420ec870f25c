import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { usageError } from '../core/errors.js';
import type { NamedText } from '../core/prompt/assemble-prompt.js';
import { READ_BOUNDS } from '../core/workspace/layout.js';
import type { CopyStep } from '../core/workspace/copy-plan.js';
import { openUntrusted, readUntrusted } from '../fs/untrusted-file.js';
import { readAt } from '../fs/read-at.js';

/**
 * Files the host reads or writes inside a checkout it just made. The
 * repository is untrusted: a committed link to a host file or directory
 * (or to /proc/self/environ) must never be read or written through, so every
 * path component is checked with lstat and files are opened without
 * following links, each read with a bound.
 */

const REPO_INSTRUCTION_FILES = ['AGENTS.md', 'CLAUDE.md'];
/** A copy-list file larger than this is refused: the list is for small untracked files (.env and the like). */
const MAX_COPY_BYTES = 16 * 1024 * 1024;

export interface RepoInstructions {
  docs: NamedText[];
  /** Instruction files skipped because they are links or not regular files. */
  warnings: string[];
}

/** The first component of `relative` (under `root`) that is a link, relative to root; undefined when none is (or the path ends early). */
function linkedComponent(root: string, relative: string): string | undefined {
  let path = root;
  for (const part of relative.split('/')) {
    path = join(path, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(path).isSymbolicLink();
    } catch {
      return undefined;
    }
    if (isLink) return path.slice(root.length + 1);
  }
  return undefined;
}

/** AGENTS.md and CLAUDE.md from the top of the checkout: regular files only, each up to READ_BOUNDS.instructions. */
export function readRepoInstructions(repoDir: string): RepoInstructions {
  const docs: NamedText[] = [];
  const warnings: string[] = [];
  // A reused checkout has been the agent's: the checkout directory itself must not be a link either.
  if (linkedComponent(dirname(repoDir), basename(repoDir)) !== undefined) return { docs, warnings: [`${repoDir} is a link: no repository instructions read`] };
  for (const file of REPO_INSTRUCTION_FILES) {
    const path = join(repoDir, file);
    let info;
    try {
      info = lstatSync(path);
    } catch {
      continue; // the repo has no such file
    }
    const read = info.isFile() ? readUntrusted(path, READ_BOUNDS.instructions) : undefined;
    if (read === undefined) {
      const what = info.isSymbolicLink() ? 'a link' : 'not a regular file';
      warnings.push(`${file} in the repository is ${what}: skipped, not read into the prompt`);
      continue;
    }
    docs.push({ name: file, text: read.truncated ? `${read.text}\n\n[truncated: ${file} is ${read.size} bytes]` : read.text });
  }
  return { docs, warnings };
}

function refuse(step: CopyStep, why: string): never {
  throw usageError('copy_refused', `repos.<repo>.copy: ${step.from} → ${step.to}: ${why}`, 'the repository must not commit links where the copy list reads or writes; fix the copy list or the repository');
}

/** The source's bytes: a file in the checkout only as a regular file reached through no link; an operator's absolute path as given. */
function readSource(repoDir: string, step: CopyStep): { data: Buffer; mode: number } {
  if (isAbsolute(step.from)) {
    // The operator named this host file in the config: trusted, read as given.
    try {
      const data = readFileSync(step.from);
      return { data, mode: lstatSync(step.from).mode };
    } catch {
      throw usageError('copy_source_missing', `repos.<repo>.copy: ${step.from} does not exist`, 'fix the copy list in the config, or create the file');
    }
  }
  const link = linkedComponent(repoDir, step.from);
  if (link !== undefined) refuse(step, `the source crosses ${link}, a link committed in the repository`);
  const fd = openUntrusted(join(repoDir, step.from));
  if (fd === undefined) {
    let exists = true;
    try {
      lstatSync(join(repoDir, step.from));
    } catch {
      exists = false;
    }
    if (!exists) throw usageError('copy_source_missing', `repos.<repo>.copy: ${step.from} does not exist`, 'fix the copy list in the config, or create the file');
    refuse(step, 'the source is not a regular file');
  }
  try {
    const info = fstatSync(fd);
    if (info.size > MAX_COPY_BYTES) refuse(step, `the source is ${info.size} bytes, above the ${MAX_COPY_BYTES}-byte limit`);
    return { data: readAt(fd, info.size, 0), mode: info.mode };
  } finally {
    closeSync(fd);
  }
}

/** Make the target's parent directories one by one, refusing any component that is a link or not a directory. */
function makeParents(repoDir: string, step: CopyStep): void {
  const parts = step.to.split('/').slice(0, -1);
  let path = repoDir;
  for (const part of parts) {
    path = join(path, part);
    let info;
    try {
      info = lstatSync(path);
    } catch {
      mkdirSync(path);
      continue;
    }
    if (info.isSymbolicLink()) refuse(step, `the target crosses ${path.slice(repoDir.length + 1)}, a link committed in the repository`);
    if (!info.isDirectory()) refuse(step, `the target's parent ${path.slice(repoDir.length + 1)} is not a directory`);
  }
}

/** Write a new file at `path`, never through a link: an existing regular file is replaced, anything else refused. */
function writeTarget(path: string, step: CopyStep, data: Buffer, mode: number): void {
  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing !== undefined) {
    if (existing.isSymbolicLink()) refuse(step, 'the target is a link committed in the repository');
    if (!existing.isFile()) refuse(step, 'the target exists and is not a regular file');
    unlinkSync(path);
  }
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode & 0o777);
  try {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copy the configured untracked files into a new checkout. Every source is
 * read and every target path checked before anything is written, so a
 * refused entry leaves the checkout as it was; the caller also discards a new
 * workspace whose preparation throws.
 */
export function copyIntoCheckout(repoDir: string, copies: readonly CopyStep[]): void {
  const sources = copies.map((step) => readSource(repoDir, step));
  for (const step of copies) {
    const link = linkedComponent(repoDir, step.to);
    if (link === step.to) refuse(step, 'the target is a link committed in the repository');
    if (link !== undefined) refuse(step, `the target crosses ${link}, a link committed in the repository`);
  }
  copies.forEach((step, index) => {
    const source = sources[index] as { data: Buffer; mode: number };
    makeParents(repoDir, step);
    writeTarget(join(repoDir, step.to), step, source.data, source.mode);
  });
}
