import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packTrees } from '../../src/fs/tar-pack.js';
import { extractUntrustedTar, TarRefused } from '../../src/fs/untrusted-tar.js';
import { replaceFromArchive } from '../../src/run/backend/remote-sync.js';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { makeTempDir } from '../support/git-fixtures.js';

/** A hand-made tar entry, as a hostile container could send it. `edit` changes the header before its checksum. */
function entry(name: string, type: string, data: string | Buffer = '', link = '', sizeOverride?: number, edit?: (block: Buffer) => void): Buffer {
  const body = Buffer.from(data);
  const size = sizeOverride ?? body.length;
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0);
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('14000000000\0', 136);
  block.write('        ', 148);
  block.write(type, 156);
  block.write(link, 157);
  block.write('ustar\u000000', 257, 'binary');
  edit?.(block);
  block.write('        ', 148);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([block, body, pad]);
}

/** A PAX extended header ('x', or 'g' for global) with these records. */
function pax(records: Record<string, string>, type = 'x'): Buffer {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const rest = ` ${key}=${value}\n`;
      let length = Buffer.byteLength(rest) + 1;
      while (String(length).length + Buffer.byteLength(rest) !== length) length += 1;
      return `${length}${rest}`;
    })
    .join('');
  return entry('././@PaxHeader', type, body);
}

/** A GNU long name ('L') entry naming the next one. */
const longName = (name: string) => entry('././@LongLink', 'L', `${name}\0`);

const END = Buffer.alloc(1024);
const BOUNDS = { maxBytes: 1024 * 1024, maxEntries: 100 };

async function extract(parts: Buffer[], dest: string, bounds = BOUNDS) {
  return extractUntrustedTar(Readable.from([Buffer.concat(parts)]), dest, 'repo', bounds);
}

let dir: string;
let dest: string;
let victim: string;
beforeEach(() => {
  dir = makeTempDir('untrusted-tar');
  dest = join(dir, 'dest');
  mkdirSync(dest);
  victim = join(dir, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'secret'), 'unchanged\n');
});
afterEach(() => undefined);

describe('extracting an archive from a container', () => {
  it('packs a tree and reads it back: files, directories, the exec bit, names past 100 bytes', async () => {
    const src = join(dir, 'src');
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(40)}.txt`;
    mkdirSync(join(src, long, '..'), { recursive: true });
    writeFileSync(join(src, long), 'deep\n');
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(src, 'run.sh'), 0o755);
    mkdirSync(join(src, 'empty'));
    const chunks: Buffer[] = [];
    for await (const chunk of packTrees([{ dir: src, as: 'repo', uid: 1000, gid: 1000 }])) chunks.push(chunk as Buffer);
    const result = await extract(chunks, dest);
    expect(readFileSync(join(dest, long), 'utf8')).toBe('deep\n');
    expect(statSync(join(dest, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(dest, 'empty')).isDirectory()).toBe(true);
    expect(result).toMatchObject({ files: 2, skippedCount: 0 });
  });

  it("reads the record's padding after the end to the stream's end, so the engine's connection can carry the next request; no further than 64 KiB", async () => {
    const chunks = (padding: number) => [entry('repo/a.txt', '0', 'a\n'), END, ...Array.from({ length: padding / 1024 }, () => Buffer.alloc(1024))];
    // As an engine sends it: the end blocks, then zeros up to the 10 KiB record.
    const padded = Readable.from(chunks(8 * 1024));
    expect(await extractUntrustedTar(padded, dest, 'repo', BOUNDS)).toMatchObject({ files: 1 });
    expect(padded.readableEnded, 'read to its end, not cut short').toBe(true);
    // Endless data after the end is not read for ever: the extraction still stands.
    const flooded = Readable.from(chunks(1024 * 1024));
    const elsewhere = join(dir, 'dest2');
    mkdirSync(elsewhere);
    expect(await extractUntrustedTar(flooded, elsewhere, 'repo', BOUNDS)).toMatchObject({ files: 1 });
    expect(flooded.readableEnded).toBe(false);
    expect(readFileSync(join(elsewhere, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('creates no link, symbolic or hard, and writes nothing through one', async () => {
    const result = await extract(
      [
        entry('repo/', '5'),
        entry('repo/escape', '2', '', victim),
        entry('repo/escape/secret', '0', 'overwritten\n'),
        entry('repo/hard', '1', '', 'repo/escape/secret'),
        entry('repo/dev', '3'),
        entry('repo/fifo', '6'),
        END,
      ],
      dest,
    );
    expect(readFileSync(join(victim, 'secret'), 'utf8')).toBe('unchanged\n');
    for (const name of readdirSync(dest, { recursive: true }) as string[]) expect(lstatSync(join(dest, name)).isSymbolicLink()).toBe(false);
    expect(existsSync(join(dest, 'hard'))).toBe(false);
    expect(existsSync(join(dest, 'dev'))).toBe(false);
    expect(existsSync(join(dest, 'fifo'))).toBe(false);
    expect(result.skipped).toEqual(['repo/escape', 'repo/hard', 'repo/dev', 'repo/fifo']);
  });

  it('takes no absolute name, no .., and nothing outside the tree it asked for', async () => {
    const result = await extract(
      [entry(`${victim}/secret`, '0', 'x'), entry('repo/../victim/secret', '0', 'x'), entry('../victim/secret', '0', 'x'), entry('outbox/exit-code', '0', '0'), entry('repo/ok.txt', '0', 'ok'), END],
      dest,
    );
    expect(readFileSync(join(victim, 'secret'), 'utf8')).toBe('unchanged\n');
    expect(readdirSync(dest)).toEqual(['ok.txt']);
    expect(result.skippedCount).toBe(4);
  });

  it('a file named again replaces the first one; a file cannot become a directory to write through', async () => {
    await extract([entry('repo/a', '0', 'first'), entry('repo/a', '0', 'second'), entry('repo/f', '0', 'file'), entry('repo/f/x', '0', 'under'), END], dest);
    expect(readFileSync(join(dest, 'a'), 'utf8')).toBe('second');
    // The archive's time, not the extraction's: an idle agent's log must look idle.
    expect(statSync(join(dest, 'a')).mtimeMs).toBe(0o14000000000 * 1000);
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('file');
  });

  it('refuses an archive past its byte bound before writing the entry, and past its entry bound', async () => {
    await expect(extract([entry('repo/huge', '0', '', '', 8 * 1024 ** 3), END], dest)).rejects.toThrow(TarRefused);
    expect(existsSync(join(dest, 'huge'))).toBe(false);
    const many = Array.from({ length: 20 }, (_, i) => entry(`repo/f${i}`, '0', 'x'));
    await expect(extract([...many, END], join(dir, 'dest'), { maxBytes: 1024, maxEntries: 10 })).rejects.toThrow(/more than 10 entries/);
  });

  it('keeps only the end of a file past keepTailOf, instead of refusing the archive', async () => {
    const log = `${'x'.repeat(5000)}THE END\n`;
    const result = await extractUntrustedTar(Readable.from([Buffer.concat([entry('repo/agent.log', '0', log), END])]), dest, 'repo', { ...BOUNDS, maxBytes: 100, keepTailOf: 50 });
    expect(readFileSync(join(dest, 'agent.log'), 'utf8')).toBe(log.slice(-50));
    expect(result.bytes).toBe(50);
  });

  it('refuses an archive cut inside an entry, or with a forged header', async () => {
    const cut = entry('repo/a', '0', 'x'.repeat(2000)).subarray(0, 1024);
    await expect(extract([cut], dest)).rejects.toThrow(/ends inside an entry/);
    const forged = entry('repo/b', '0', 'x');
    forged.write('9', 0);
    await expect(extract([forged, END], join(dir, 'dest'))).rejects.toThrow(/checksum/);
  });
});

describe('names the host cannot create, and archives without end', () => {
  it('leaves out an entry whose name the host cannot create (300 bytes, past PATH_MAX, a file where a directory is), not a crash', async () => {
    const deep = `repo/${Array.from({ length: 25 }, () => 'd'.repeat(200)).join('/')}/f`;
    const result = await extract(
      [
        longName(`repo/${'n'.repeat(300)}`),
        entry('repo/x', '0', 'long'),
        longName(deep),
        entry('repo/x', '0', 'deep'),
        entry('repo/f', '0', 'file'),
        entry('repo/f/', '5'),
        entry('repo/f/under', '0', 'under'),
        entry('repo/ok.txt', '0', 'ok'),
        END,
      ],
      dest,
    );
    expect(readdirSync(dest).sort()).toEqual(['d'.repeat(200), 'f', 'ok.txt'].sort());
    expect(readFileSync(join(dest, 'ok.txt'), 'utf8')).toBe('ok');
    expect(readFileSync(join(dest, 'f'), 'utf8')).toBe('file');
    expect(result.skippedCount).toBe(4);
  });

  it('turns any other failure of the extraction (a time the file system cannot hold, a failing stream) into a refusal', async () => {
    const farFuture = entry('repo/t', '0', 'x', '', undefined, (block) => block.write('77777777777\0', 136));
    await expect(extract([farFuture, END], dest)).resolves.toMatchObject({ files: 1 });
    async function* broken() {
      yield entry('repo/a', '0', 'x'.repeat(600)).subarray(0, 600);
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    }
    await expect(extractUntrustedTar(broken(), join(dir, 'dest'), 'repo', BOUNDS)).rejects.toThrow(TarRefused);
  });

  it('stops reading an archive past maxArchiveBytes, even content it would drop (a log kept by its tail)', async () => {
    let pulled = 0;
    async function* endless() {
      yield entry('repo/agent.log', '0', '', '', 0o77777777777).subarray(0, 512);
      const chunk = Buffer.alloc(1024 * 1024, 0x78);
      for (let i = 0; i < 200; i += 1) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    await expect(extractUntrustedTar(endless(), dest, 'repo', { maxBytes: 1024 ** 2, maxEntries: 10, keepTailOf: 1024, maxArchiveBytes: 4 * 1024 ** 2 })).rejects.toThrow(
      /larger than 4194304 bytes/,
    );
    expect(pulled).toBeLessThanOrEqual(6 * 1024 ** 2);
  });
});

describe('headers read as tar tools read them (no smuggling)', () => {
  it('applies a PAX size, path and mtime: the ustar fields they replace say 0 (as Go writes them)', async () => {
    const content = 'x'.repeat(700);
    const header = entry('repo/short', '0', '', '', 0);
    const result = await extract([pax({ size: '700', path: `repo/${'p'.repeat(150)}`, mtime: '1700000000.5' }), header, Buffer.from(content), Buffer.alloc(1024 - 700), entry('repo/next', '0', 'n'), END], dest);
    expect(readFileSync(join(dest, 'p'.repeat(150)), 'utf8')).toBe(content);
    expect(statSync(join(dest, 'p'.repeat(150))).mtimeMs).toBe(1700000000 * 1000);
    expect(readFileSync(join(dest, 'next'), 'utf8')).toBe('n');
    expect(result.files).toBe(2);
  });

  it('refuses a PAX size that disagrees with a non-zero ustar size', async () => {
    await expect(extract([pax({ size: '0' }), entry('repo/a', '0', 'x'.repeat(600)), END], dest)).rejects.toThrow(/PAX size/);
  });

  it('refuses base-256 numbers, a data size on a link or directory, and entry types whose layout it does not read', async () => {
    const base256 = entry('repo/a', '0', 'hello', '', undefined, (block) => {
      block.fill(0, 124, 136);
      block[124] = 0x80;
      block[135] = 5;
    });
    await expect(extract([base256, END], dest)).rejects.toThrow(/base-256/);
    // Go and GNU tar read no data after a link header: a size here would hide a header from them, or from us.
    const smuggled = entry('repo/smuggled', '0', 'from the agent');
    await expect(extract([entry('repo/l', '2', smuggled, 'target'), END], join(dir, 'dest'))).rejects.toThrow(/link or directory with a size/);
    await expect(extract([entry('repo/s', 'S', 'x'), END], join(dir, 'dest'))).rejects.toThrow(/type "S"/);
    await expect(extract([pax({ 'GNU.sparse.name': 'repo/other' }), entry('repo/a', '0', 'x'), END], join(dir, 'dest'))).rejects.toThrow(/GNU.sparse/);
  });

  it('refuses a GNU long name that disagrees with a PAX path, a global header that renames, and malformed PAX records', async () => {
    await expect(extract([longName('repo/one'), pax({ path: 'repo/two' }), entry('repo/x', '0', 'x'), END], dest)).rejects.toThrow(/disagree/);
    await expect(extract([pax({ path: 'repo/all' }, 'g'), entry('repo/x', '0', 'x'), END], join(dir, 'dest'))).rejects.toThrow(/global/);
    await expect(extract([entry('././@PaxHeader', 'x', '99 path=repo/a\n'), entry('repo/x', '0', 'x'), END], join(dir, 'dest'))).rejects.toThrow(/PAX record/);
  });

  it('reads no prefix from a GNU header (those bytes are its access time there)', async () => {
    const gnu = entry('repo/a', '0', 'gnu', '', undefined, (block) => {
      block.write('ustar  \0', 257, 'binary');
      block.write('15000000000\0', 345);
    });
    await extract([gnu, END], dest);
    expect(readFileSync(join(dest, 'a'), 'utf8')).toBe('gnu');
  });
});

describe('replacing a workspace part from an archive', () => {
  it('replaces a repo/ that is a link to a victim, never writing through it', async () => {
    const workspace = join(dir, 'ws');
    mkdirSync(workspaceLayout(workspace).meta, { recursive: true });
    symlinkSync(victim, workspaceLayout(workspace).repo);
    await replaceFromArchive(workspace, 'repo', Readable.from([Buffer.concat([entry('repo/secret', '0', 'from the agent\n'), END])]));
    expect(readFileSync(join(victim, 'secret'), 'utf8')).toBe('unchanged\n');
    expect(lstatSync(workspaceLayout(workspace).repo).isDirectory()).toBe(true);
    expect(readFileSync(join(workspaceLayout(workspace).repo, 'secret'), 'utf8')).toBe('from the agent\n');
  });

  it('keeps the old tree when the archive is refused', async () => {
    const workspace = join(dir, 'ws');
    const { repo, meta } = workspaceLayout(workspace);
    mkdirSync(repo, { recursive: true });
    mkdirSync(meta);
    writeFileSync(join(repo, 'kept'), 'kept\n');
    await expect(replaceFromArchive(workspace, 'repo', Readable.from([entry('repo/x', '0', 'x'.repeat(600)).subarray(0, 700)]))).rejects.toThrow(TarRefused);
    expect(readFileSync(join(repo, 'kept'), 'utf8')).toBe('kept\n');
    expect(readdirSync(meta)).toEqual([]);
  });
});
