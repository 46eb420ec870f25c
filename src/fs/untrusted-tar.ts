import { closeSync, constants, futimesSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { addExtended, applyExtended, BLOCK, parseHeader, TarRefused, type Extended, type TarHeader } from './tar-header.js';

/**
 * Reading a tar archive that came out of a container. The archive is
 * hostile: it can name absolute paths or `..`, hold links, devices and
 * fifos, repeat a name to write through an earlier entry, or claim sizes
 * that fill the disk. So the extraction goes into a fresh directory of
 * ours, keeps only regular files and directories under safe relative
 * names, never creates or follows a link, opens every file with
 * O_EXCL|O_NOFOLLOW, and stops at a bound on bytes and entries, and on
 * what it reads from the stream in all. Headers are read as tar tools
 * read them, or refused (tar-header.ts). Whatever else goes wrong (a name
 * this file system cannot hold is left out; a failing write or stream)
 * ends as TarRefused, never as another error: the caller's watch over a
 * running agent must not stop on it.
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
  /**
   * Bytes read from the archive stream in all (headers, padding, and the
   * content `keepTailOf` drops): past it the archive is refused and the
   * caller's stream destroyed. Unset: `maxBytes` plus room for each entry's
   * headers, which only a bound without `keepTailOf` can rely on.
   */
  maxArchiveBytes?: number;
}

export interface Extracted {
  files: number;
  bytes: number;
  /** Entries left out (links, devices, bad names, names this file system cannot hold), the first few by name. */
  skipped: string[];
  skippedCount: number;
}

export { TarRefused };

const SKIPPED_NAMED = 10;
/** A header block, a PAX header and its records (a name is at most a few KiB), and padding: per entry. */
const PER_ENTRY_OVERHEAD = 16 * BLOCK;

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

/** What is read past the end-of-archive blocks (tar pads to 10 KiB records) before the rest is left unread. */
const MAX_TRAILER_BYTES = 64 * 1024;

interface Pending {
  kind: 'file' | 'extended' | 'skip';
  left: number;
  pad: number;
  /** Leading bytes of a file past `keepTailOf` that are read and dropped. */
  drop?: number;
  fd?: number;
  /** The entry's own modification time (seconds): the idle timeout reads the log's. */
  mtime?: number;
  /** An extended header's data, until it is whole. */
  chunks?: Buffer[];
  header?: TarHeader;
}

function describe(error: unknown): string {
  // Node's own messages start with their code ("ENAMETOOLONG: name too long, …").
  return (error as Error | null)?.message ?? String(error);
}

/**
 * Extract the archive's tree `top` (getArchive names it after the path's
 * last component) into `dest`, which must be a new, empty directory of
 * ours. Throws TarRefused past a bound, on a malformed archive, or on any
 * failure while reading or writing; the caller then throws `dest` away.
 */
export async function extractUntrustedTar(
  archive: AsyncIterable<Buffer>,
  dest: string,
  top: string,
  bounds: TarBounds,
  /** Told each entry left out, by its name in the archive (the caller may need to know one was there). */
  onSkip?: (name: string) => void,
): Promise<Extracted> {
  const result: Extracted = { files: 0, bytes: 0, skipped: [], skippedCount: 0 };
  const maxArchiveBytes = bounds.maxArchiveBytes ?? bounds.maxBytes + bounds.maxEntries * PER_ENTRY_OVERHEAD;
  const dirs = new Set<string>(['']);
  let entries = 0;
  let read = 0;
  let buffered: Buffer = Buffer.alloc(0);
  let pending: Pending | undefined;
  let extended: Extended = {};
  let ended = false;

  const skip = (name: string) => {
    onSkip?.(name);
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
        // A file of this archive is already there (the entry would go through it), or a name too long here.
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
    } catch (error) {
      // A name this file system cannot hold (too long, a component that is a file): the entry is left out.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
    }
    // A repeated name: the later entry wins, as in tar, by replacing the file (rm never follows anything).
    try {
      rmSync(path, { force: true });
      return openSync(path, flags, fileMode);
    } catch {
      return undefined;
    }
  };

  const header = (block: Buffer) => {
    const parsed = parseHeader(block);
    if (parsed === undefined) {
      ended = true;
      return;
    }
    entries += 1;
    if (entries > bounds.maxEntries) throw new TarRefused(`more than ${bounds.maxEntries} entries`);
    const pad = (BLOCK - (parsed.size % BLOCK)) % BLOCK;
    if (parsed.type === 'x' || parsed.type === 'g' || parsed.type === 'L' || parsed.type === 'K') {
      pending = { kind: 'extended', left: parsed.size, pad, chunks: [], header: parsed };
      return;
    }
    const entry = applyExtended(parsed, extended);
    extended = {};
    const { name, size, type } = entry;
    const entryPad = (BLOCK - (size % BLOCK)) % BLOCK;
    const parts = safeRelative(name, top);
    if (parts !== undefined && type === '0') {
      const drop = bounds.keepTailOf !== undefined && size > bounds.keepTailOf ? size - bounds.keepTailOf : 0;
      if (result.bytes + size - drop > bounds.maxBytes) throw new TarRefused(`more than ${bounds.maxBytes} bytes (at "${name.slice(0, 200)}", ${size} bytes)`);
      const fd = openFile(parts, entry.mode);
      if (fd === undefined) skip(name);
      else result.files += 1;
      pending = { kind: fd === undefined ? 'skip' : 'file', left: size, pad: entryPad, ...(fd === undefined ? {} : { fd, drop, mtime: entry.mtime }) };
      return;
    }
    if (parts !== undefined && type === '5') {
      if (!ensureDir(parts)) skip(name);
    } else {
      // Links (symbolic or hard), devices, fifos, and names outside the tree.
      skip(name);
    }
    pending = { kind: 'skip', left: size, pad: entryPad };
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
    } else if (entry.kind === 'extended') entry.chunks!.push(Buffer.from(chunk));
    entry.left -= take;
    if (entry.left === 0) {
      if (entry.fd !== undefined) {
        if (entry.mtime !== undefined) futimesSync(entry.fd, entry.mtime, entry.mtime);
        closeSync(entry.fd);
        entry.fd = undefined;
      }
      if (entry.kind === 'extended') extended = addExtended(extended, entry.header!, Buffer.concat(entry.chunks!));
      pending = entry.pad === 0 ? undefined : { kind: 'skip', left: entry.pad, pad: 0 };
    }
    return take;
  };

  let trailer = 0;
  try {
    for await (const chunk of archive) {
      read += chunk.length;
      if (read > maxArchiveBytes) throw new TarRefused(`an archive larger than ${maxArchiveBytes} bytes`);
      if (ended) {
        // The record's padding after the end: read to the stream's end (an engine's connection, kept alive, can then
        // carry the next request; over SSH a new one costs a session on the far side), but no further than that.
        trailer += chunk.length;
        if (trailer > MAX_TRAILER_BYTES) break;
        continue;
      }
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
    }
  } catch (error) {
    if (error instanceof TarRefused) throw error;
    throw new TarRefused(`the archive could not be read: ${describe(error)}`, { cause: error });
  } finally {
    if (pending?.fd !== undefined) {
      try {
        closeSync(pending.fd);
      } catch {
        // Already failing: the caller throws the tree away.
      }
    }
  }
  if (!ended && (pending !== undefined || buffered.length > 0)) throw new TarRefused('the archive ends inside an entry');
  return result;
}
