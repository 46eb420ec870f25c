import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** One tree to put into an archive, under the name `as`, owned by uid:gid inside the container. */
export interface PackRoot {
  dir: string;
  as: string;
  uid: number;
  gid: number;
  /** Files 0444 and directories 0555: the agent reads them but cannot change them (it is not their owner). */
  readOnly?: boolean;
}

const BLOCK = 512;
const CHUNK = 256 * 1024;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function paxRecord(key: string, value: string): Buffer {
  // The length counts itself: "<len> key=value\n".
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return Buffer.from(`${length}${body}`);
}

function rawHeader(name: string, type: string, size: number, mode: number, uid: number, gid: number, link: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.slice(0, 99), 0, 'utf8');
  block.write(octal(mode & 0o7777, 8), 100, 'ascii');
  block.write(octal(uid, 8), 108, 'ascii');
  block.write(octal(gid, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(type, 156, 'ascii');
  block.write(link.slice(0, 99), 157, 'utf8');
  block.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** A header, preceded by a PAX header when the name or link does not fit ustar's 100 bytes. */
function header(name: string, type: string, size: number, mode: number, uid: number, gid: number, link = ''): Buffer[] {
  if (Buffer.byteLength(name) < 100 && Buffer.byteLength(link) < 100) return [rawHeader(name, type, size, mode, uid, gid, link)];
  const pax = Buffer.concat([paxRecord('path', name), ...(link === '' ? [] : [paxRecord('linkpath', link)])]);
  return [rawHeader('././@PaxHeader', 'x', pax.length, 0o644, 0, 0, ''), pax, padding(pax.length), rawHeader(name, type, size, mode, uid, gid, link)];
}

function* fileBlocks(path: string, name: string, root: PackRoot): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return;
    const mode = root.readOnly === true ? 0o444 : stat.mode & 0o111 ? 0o755 : 0o644;
    yield* header(name, '0', stat.size, mode, root.uid, root.gid);
    // Exactly the size announced: a file that grows meanwhile is cut, one that shrinks is padded.
    let left = stat.size;
    const buffer = Buffer.alloc(CHUNK);
    while (left > 0) {
      const read = readSync(fd, buffer, 0, Math.min(CHUNK, left), null);
      if (read === 0) break;
      yield Buffer.from(buffer.subarray(0, read));
      left -= read;
    }
    if (left > 0) yield Buffer.alloc(left);
    yield padding(stat.size);
  } finally {
    closeSync(fd);
  }
}

function* treeBlocks(dir: string, name: string, root: PackRoot): Generator<Buffer> {
  yield* header(`${name}/`, '5', 0, root.readOnly === true ? 0o555 : 0o755, root.uid, root.gid);
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry);
    const child = `${name}/${entry}`;
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) yield* treeBlocks(path, child, root);
    else if (stat.isFile()) yield* fileBlocks(path, child, root);
    // A checkout's tracked links go in as links: they are the container's to follow, never ours.
    else if (stat.isSymbolicLink()) yield* header(child, '2', 0, 0o777, root.uid, root.gid, readlinkSync(path));
  }
}

function* archiveBlocks(roots: readonly PackRoot[]): Generator<Buffer> {
  for (const root of roots) yield* treeBlocks(root.dir, root.as, root);
  yield Buffer.alloc(BLOCK * 2);
}

/** A tar archive of the trees, produced as it is read (a checkout is never held in memory whole). */
export function packTrees(roots: readonly PackRoot[]): Readable {
  return Readable.from(archiveBlocks(roots), { objectMode: false });
}
