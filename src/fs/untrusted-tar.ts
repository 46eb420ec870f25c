import { closeSync, constants, futimesSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reading a tar archive that came out of a container. The archive is
 * hostile: it can name absolute paths or `..`, hold links, devices and
 * fifos, repeat a name to write through an earlier entry, or claim sizes
 * that fill the disk. So the extraction goes into a fresh directory of
 * ours, keeps only regular files and directories under safe relative
 * names, never creates or follows a link, opens every file with
 * O_EXCL|O_NOFOLLOW, and stops at a bound on bytes and entries.
 */
export interface TarBounds {
  /** Total bytes of file content. */
  maxBytes: number;
  maxEntries: number;
  /**
   * A file larger than this keeps only its last bytes instead of refusing
   * the archive (the outbox's log: its end holds the result). Unset: whole
   * files only.
   */
  keepTailOf?: number;
}

export interface Extracted {
  files: number;
  bytes: number;
  /** Entries left out (links, devices, bad names), the first few by name. */
  skipped: string[];
  skippedCount: number;
}

export class TarRefused extends Error {}

const BLOCK = 512;
const SKIPPED_NAMED = 10;

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** A numeric field: octal text, or GNU base-256 (high bit set) for big values. */
function number(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  if ((field[0]! & 0x80) !== 0) {
    let value = field[0]! & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const digits = text(block, start, length).trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarRefused(`a malformed number "${digits.slice(0, 20)}" in a header`);
  return parseInt(digits, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === number(block, 148, 8);
}

function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (record.slice(0, equals) === 'path') path = record.slice(equals + 1);
    at += length;
  }
  return path;
}

/**
 * The entry's name below `top` as safe components, or undefined to skip it:
 * nothing absolute, no `.`/`..`/empty components, no NUL, nothing outside `top`.
 */
export function safeRelative(name: string, top: string): string[] | undefined {
  if (name.includes('\0') || name.startsWith('/')) return undefined;
  const parts = name.replace(/\/+$/, '').split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) return undefined;
  if (parts[0] !== top) return undefined;
  return parts.slice(1);
}

interface Pending {
  kind: 'file' | 'pax' | 'longname' | 'skip';
  left: number;
  pad: number;
  /** Leading bytes of a file past `keepTailOf` that are read and dropped. */
  drop?: number;
  fd?: number;
  /** The entry's own modification time (seconds): the idle timeout reads the log's. */
  mtime?: number;
  chunks?: Buffer[];
}

/**
 * Extract the archive's tree `top` (getArchive names it after the path's
 * last component) into `dest`, which must be a new, empty directory of
 * ours. Throws TarRefused past a bound or on a malformed archive; the
 * caller then throws `dest` away.
 */
export async function extractUntrustedTar(archive: AsyncIterable<Buffer>, dest: string, top: string, bounds: TarBounds): Promise<Extracted> {
  const result: Extracted = { files: 0, bytes: 0, skipped: [], skippedCount: 0 };
  const dirs = new Set<string>(['']);
  let entries = 0;
  let buffered: Buffer = Buffer.alloc(0);
  let pending: Pending | undefined;
  let nextName: string | undefined;
  let ended = false;

  const skip = (name: string) => {
    result.skippedCount += 1;
    if (result.skipped.length < SKIPPED_NAMED) result.skipped.push(name.slice(0, 200));
  };

  const ensureDir = (parts: string[]): boolean => {
    for (let i = 1; i <= parts.length; i += 1) {
      const rel = parts.slice(0, i).join('/');
      if (dirs.has(rel)) continue;
      try {
        mkdirSync(join(dest, rel), { mode: 0o755 });
      } catch {
        // A file of this archive is already there: the entry would go through it.
        return false;
      }
      dirs.add(rel);
    }
    return true;
  };

  const openFile = (parts: string[], mode: number): number | undefined => {
    if (parts.length === 0 || !ensureDir(parts.slice(0, -1))) return undefined;
    const rel = parts.join('/');
    if (dirs.has(rel)) return undefined;
    const path = join(dest, rel);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const fileMode = mode & 0o111 ? 0o755 : 0o644;
    try {
      return openSync(path, flags, fileMode);
    } catch {
      // A repeated name: the later entry wins, as in tar, by replacing the file (rm never follows anything).
      rmSync(path, { force: true });
      try {
        return openSync(path, flags, fileMode);
      } catch {
        return undefined;
      }
    }
  };

  const header = (block: Buffer) => {
    if (block.every((byte) => byte === 0)) {
      ended = true;
      return;
    }
    if (!checksumOk(block)) throw new TarRefused('a header with a bad checksum');
    entries += 1;
    if (entries > bounds.maxEntries) throw new TarRefused(`more than ${bounds.maxEntries} entries`);
    const type = String.fromCharCode(block[156]!) || '0';
    const size = number(block, 124, 12);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    const prefix = text(block, 345, 155);
    const ustarName = block.subarray(257, 262).toString('ascii') === 'ustar' && prefix !== '' ? `${prefix}/${text(block, 0, 100)}` : text(block, 0, 100);
    if (type === 'x' || type === 'L') {
      if (size > 64 * 1024) throw new TarRefused(`an extended header of ${size} bytes`);
      pending = { kind: type === 'x' ? 'pax' : 'longname', left: size, pad, chunks: [] };
      return;
    }
    const name = nextName ?? ustarName;
    nextName = undefined;
    const parts = safeRelative(name, top);
    const isFile = type === '0' || type === '\0' || type === '7';
    if (parts !== undefined && isFile) {
      const drop = bounds.keepTailOf !== undefined && size > bounds.keepTailOf ? size - bounds.keepTailOf : 0;
      if (result.bytes + size - drop > bounds.maxBytes) throw new TarRefused(`more than ${bounds.maxBytes} bytes (at "${name.slice(0, 200)}", ${size} bytes)`);
      const fd = openFile(parts, number(block, 100, 8));
      if (fd === undefined) skip(name);
      else result.files += 1;
      pending = { kind: fd === undefined ? 'skip' : 'file', left: size, pad, ...(fd === undefined ? {} : { fd, drop, mtime: number(block, 136, 12) }) };
      return;
    }
    if (parts !== undefined && type === '5') {
      if (!ensureDir(parts)) skip(name);
    } else if (type !== 'g') {
      // Links (symbolic or hard), devices, fifos, and names outside the tree.
      skip(name);
    }
    pending = { kind: 'skip', left: size, pad };
  };

  const body = (data: Buffer): number => {
    const entry = pending!;
    const take = Math.min(entry.left, data.length);
    const chunk = data.subarray(0, take);
    if (entry.kind === 'file') {
      const dropped = Math.min(entry.drop ?? 0, take);
      entry.drop = (entry.drop ?? 0) - dropped;
      if (dropped < take) writeSync(entry.fd!, chunk.subarray(dropped));
      result.bytes += take - dropped;
    } else if (entry.kind === 'pax' || entry.kind === 'longname') entry.chunks!.push(Buffer.from(chunk));
    entry.left -= take;
    if (entry.left === 0) {
      if (entry.fd !== undefined) {
        if (entry.mtime !== undefined) futimesSync(entry.fd, entry.mtime, entry.mtime);
        closeSync(entry.fd);
      }
      if (entry.kind === 'pax') nextName = paxPath(Buffer.concat(entry.chunks!)) ?? nextName;
      if (entry.kind === 'longname') nextName = text(Buffer.concat(entry.chunks!), 0, entry.chunks!.reduce((n, c) => n + c.length, 0));
      pending = entry.pad === 0 ? undefined : { kind: 'skip', left: entry.pad, pad: 0 };
    }
    return take;
  };

  try {
    for await (const chunk of archive) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let at = 0;
      while (!ended) {
        if (pending !== undefined) {
          if (pending.left > 0 && at === buffered.length) break;
          at += body(buffered.subarray(at));
          continue;
        }
        if (buffered.length - at < BLOCK) break;
        header(buffered.subarray(at, at + BLOCK));
        at += BLOCK;
      }
      buffered = buffered.subarray(at);
      if (ended) break;
    }
  } finally {
    if (pending?.fd !== undefined) closeSync(pending.fd);
  }
  if (!ended && (pending !== undefined || buffered.length > 0)) throw new TarRefused('the archive ends inside an entry');
  return result;
}
