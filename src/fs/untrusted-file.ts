import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readAt } from './read-at.js';

/**
 * Files a container or a repository could have planted: the host opens them
 * without following a link (O_NOFOLLOW on the last component; callers keep
 * the parent directories host-owned or check them), accepts only regular
 * files, and never reads more than a bound.
 */

/** An open descriptor on a regular file at `path`, or undefined (missing, a link, a fifo, a directory...). */
export function openUntrusted(path: string): number | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a fifo planted in place of a file must not hang the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (fstatSync(fd).isFile()) return fd;
  } catch {
    // fall through: not readable as a file
  }
  closeSync(fd);
  return undefined;
}

export interface BoundedText {
  text: string;
  /** The file held more than the bound; `size` is its full length in bytes. */
  truncated: boolean;
  size: number;
}

/** At most `maxBytes` from the start of a regular file at `path`, as UTF-8; undefined when there is no such regular file. */
export function readUntrusted(path: string, maxBytes: number): BoundedText | undefined {
  const fd = openUntrusted(path);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    return { text: readAt(fd, Math.min(size, maxBytes), 0).toString('utf8'), truncated: size > maxBytes, size };
  } finally {
    closeSync(fd);
  }
}

/** At most the last `maxBytes` of a regular file at `path`; undefined when there is no such regular file. */
export function readUntrustedTail(path: string, maxBytes: number): BoundedText | undefined {
  const fd = openUntrusted(path);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    return { text: readAt(fd, size - start, start).toString('utf8'), truncated: start > 0, size };
  } finally {
    closeSync(fd);
  }
}

/** Whether anything at all (a file, a link, a directory) is at `path`, without following a link. */
export function somethingAt(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Put `text` at `path` in a directory an agent can write to, without ever
 * writing through what it planted there: a new file under a random name
 * (O_EXCL|O_NOFOLLOW: never an existing file or link), renamed over `path`.
 * A rename replaces a link at `path` instead of following it.
 */
export function replaceUntrusted(path: string, text: string): void {
  const tmp = join(dirname(path), `.agentctl-${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Append `text` to a file an agent could have replaced: only ever to a
 * regular file opened without following a link. Whatever else is at `path`
 * (a link, a fifo, a directory) is removed and a new file started.
 */
export function appendUntrusted(path: string, text: string): void {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    try {
      fd = openSync(path, flags, 0o644);
      if (fstatSync(fd).isFile()) {
        writeSync(fd, text);
        return;
      }
    } catch (error) {
      if (attempt > 0) throw error;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (attempt > 0) throw new Error(`${path} is not a regular file`);
    rmSync(path, { recursive: true, force: true });
  }
}
