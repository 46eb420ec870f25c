import { closeSync, fstatSync, readSync } from 'node:fs';
import { openUntrusted } from './untrusted-file.js';
import { StringDecoder } from 'node:string_decoder';

/** Read at most this much per poll, so a huge file is printed in pieces. */
const CHUNK_BYTES = 1024 * 1024;
/** A line that grows past this without a newline is cut, as ingestion does. */
const MAX_PENDING_CHARS = 64 * 1024;

/**
 * Follow a growing file line by line, like `tail -f`: each poll returns the
 * whole lines appended since the last one. A missing file is simply empty
 * (it may appear later); a file that shrank was replaced or truncated, so it
 * is read again from the start.
 */
export class FileTail {
  private position = 0;
  private pending = '';
  private decoder = new StringDecoder('utf8');

  constructor(readonly path: string) {}

  /** Bytes read so far. */
  get offset(): number {
    return this.position;
  }

  /** New complete lines (without their newline), or [] when nothing new. Reads at most one chunk. */
  poll(): string[] {
    // The file may sit where an agent can write: never follow a link, read only a regular file.
    const fd = openUntrusted(this.path);
    if (fd === undefined) return [];
    try {
      const size = fstatSync(fd).size;
      if (size < this.position) {
        this.position = 0;
        this.pending = '';
        this.decoder = new StringDecoder('utf8');
      }
      if (size === this.position) return [];
      const length = Math.min(size - this.position, CHUNK_BYTES);
      const buffer = Buffer.alloc(length);
      return this.take(buffer.subarray(0, readSync(fd, buffer, 0, length, this.position)));
    } catch {
      return [];
    } finally {
      closeSync(fd);
    }
  }

  private take(chunk: Buffer): string[] {
    this.position += chunk.length;
    const parts = (this.pending + this.decoder.write(chunk)).split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > MAX_PENDING_CHARS) {
      parts.push(`${this.pending.slice(0, MAX_PENDING_CHARS)} [truncated]`);
      this.pending = '';
    }
    return parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  }

  /** Hand every complete line up to the current end of the file to `each`, a chunk at a time. */
  drain(each: (line: string) => void): void {
    for (;;) {
      const before = this.position;
      for (const line of this.poll()) each(line);
      if (this.position === before) return;
    }
  }

  /** The unfinished last line, if any (for when the file is done growing). */
  flush(): string | undefined {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    this.decoder = new StringDecoder('utf8');
    return rest === '' ? undefined : rest.endsWith('\r') ? rest.slice(0, -1) : rest;
  }
}

/** Wait `ms`, or less when `signal` aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
