import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

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
    const buffer = Buffer.alloc(Math.min(size, maxBytes));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { text: buffer.subarray(0, read).toString('utf8'), truncated: size > maxBytes, size };
  } finally {
    closeSync(fd);
  }
}
