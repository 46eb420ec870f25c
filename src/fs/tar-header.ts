/**
 * Reading tar headers from a hostile archive exactly as tar tools (Go's
 * archive/tar, which writes the engines' archives, and GNU tar) read them.
 * Where two readers could disagree on where an entry's data ends and the
 * next header starts, or on an entry's name, a smuggler can show one reader
 * a file the other never sees. So every such case is refused rather than
 * guessed: base-256 numbers, a data size on an entry that has none (links,
 * directories, devices), entry types whose data layout is not plain (sparse
 * files), PAX records that rename or resize in ways tools differ on (global
 * ones, GNU sparse ones), a GNU long name and a PAX path that disagree, and
 * malformed records. PAX `size`, `path`, `linkpath` and `mtime` are applied
 * as the tools apply them.
 */
export class TarRefused extends Error {}

export const BLOCK = 512;
/** An extended header (PAX records, a GNU long name) larger than this is refused. */
export const MAX_EXTENDED = 64 * 1024;

export interface TarHeader {
  /** '0' (a regular file; '\0' and '7' read as it), '1'-'6', or an extended header: 'x', 'g', 'L', 'K'. */
  type: string;
  name: string;
  linkName: string;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of data after the header (0 for the types that carry none). */
  size: number;
}

/** What extended headers said about the next entry. */
export interface Extended {
  pax?: PaxRecords;
  longName?: string;
  longLink?: string;
}

export interface PaxRecords {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
}

const FILE_TYPES = new Set(['0', '7']);
/** Types Go's reader treats as header-only (isHeaderOnlyType): it reads no data after them, whatever the size says. */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
const EXTENDED_TYPES = new Set(['x', 'g', 'L', 'K']);

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** An octal field. GNU's base-256 form is refused: tools differ on its range and sign, and the engines never write it. */
function number(block: Buffer, start: number, length: number, what: string): number {
  if ((block[start]! & 0x80) !== 0) throw new TarRefused(`a base-256 number in the ${what} field of a header`);
  const digits = text(block, start, length).trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarRefused(`a malformed number "${digits.slice(0, 20)}" in the ${what} field of a header`);
  return parseInt(digits, 8);
}

function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === number(block, 148, 8, 'checksum');
}

/**
 * The entry's name. POSIX ustar (and PAX) headers carry a prefix; Schily's
 * star format a shorter one (marked by "tar\0" at its end); GNU headers
 * keep access and change times where the prefix would be, so none.
 */
function headerName(block: Buffer): string {
  const name = text(block, 0, 100);
  const magic = block.subarray(257, 263).toString('binary');
  if (magic !== 'ustar\0') return name;
  const star = block.subarray(508, 512).toString('binary') === 'tar\0';
  const prefix = text(block, 345, star ? 131 : 155);
  return prefix === '' ? name : `${prefix}/${name}`;
}

/** One header block: undefined for the zero block that ends an archive. Throws TarRefused on anything a tool could read otherwise. */
export function parseHeader(block: Buffer): TarHeader | undefined {
  if (block.every((byte) => byte === 0)) return undefined;
  if (!checksumOk(block)) throw new TarRefused('a header with a bad checksum');
  const raw = String.fromCharCode(block[156]!);
  const type = raw === '\0' ? '0' : raw;
  if (!FILE_TYPES.has(type) && !HEADER_ONLY.has(type) && !EXTENDED_TYPES.has(type)) {
    throw new TarRefused(`an entry of type "${raw.replace(/[^\x20-\x7e]/g, '?')}", whose layout agentctl does not read`);
  }
  const size = number(block, 124, 12, 'size');
  if (HEADER_ONLY.has(type) && size !== 0) throw new TarRefused(`a link or directory with a size (${size} bytes), which tar tools read differently`);
  if (EXTENDED_TYPES.has(type) && size > MAX_EXTENDED) throw new TarRefused(`an extended header of ${size} bytes`);
  return {
    type,
    name: headerName(block),
    linkName: text(block, 157, 100),
    mode: number(block, 100, 8, 'mode'),
    mtime: number(block, 136, 12, 'mtime'),
    size,
  };
}

/** A PAX data block's records, strictly: "<length> <key>=<value>\n", the length counting the whole record. */
export function parsePax(data: Buffer, global: boolean): PaxRecords {
  const records: PaxRecords = {};
  let at = 0;
  while (at < data.length) {
    // Padding after the last record (some writers leave NULs): the data ends there.
    if (data[at] === 0 && data.subarray(at).every((byte) => byte === 0)) break;
    const space = data.indexOf(0x20, at);
    const digits = space === -1 ? '' : data.subarray(at, space).toString('latin1');
    const length = /^[1-9][0-9]{0,5}$/.test(digits) ? Number(digits) : NaN;
    if (!(length > digits.length + 1) || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new TarRefused('a malformed PAX record');
    }
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals <= 0) throw new TarRefused('a malformed PAX record');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    at += length;
    if (key.startsWith('GNU.sparse')) throw new TarRefused(`a PAX record ${key.slice(0, 40)} (sparse files are not read)`);
    if (!['path', 'linkpath', 'size', 'mtime'].includes(key)) continue;
    if (global) throw new TarRefused(`a global PAX header that sets ${key} for every entry`);
    // An empty value takes the record back: the header's own field counts.
    if (value === '') {
      delete records[key as keyof PaxRecords];
      continue;
    }
    if (key === 'size') {
      if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new TarRefused(`a malformed PAX size "${value.slice(0, 20)}"`);
      records.size = Number(value);
    } else if (key === 'mtime') {
      if (!/^-?[0-9]{1,15}(\.[0-9]*)?$/.test(value)) throw new TarRefused(`a malformed PAX mtime "${value.slice(0, 20)}"`);
      records.mtime = Math.floor(Number(value));
    } else if (value.includes('\0')) throw new TarRefused(`a PAX ${key} with a NUL in it`);
    else records[key as 'path' | 'linkpath'] = value;
  }
  return records;
}

/** The entry as its extended headers make it; refused where they disagree with it or with each other. */
export function applyExtended(header: TarHeader, extended: Extended): TarHeader {
  const { pax = {}, longName, longLink } = extended;
  if (pax.path !== undefined && longName !== undefined && pax.path !== longName) throw new TarRefused('a GNU long name and a PAX path disagree on an entry');
  if (pax.linkpath !== undefined && longLink !== undefined && pax.linkpath !== longLink) throw new TarRefused('a GNU long link and a PAX linkpath disagree on an entry');
  let size = header.size;
  if (pax.size !== undefined) {
    // Go writes 0 into a ustar field a PAX record replaces.
    if (header.size !== 0 && header.size !== pax.size) throw new TarRefused(`a PAX size (${pax.size}) and a header size (${header.size}) disagree`);
    if (HEADER_ONLY.has(header.type) && pax.size !== 0) throw new TarRefused(`a link or directory with a PAX size (${pax.size} bytes), which tar tools read differently`);
    size = pax.size;
  }
  return {
    ...header,
    name: pax.path ?? longName ?? header.name,
    linkName: pax.linkpath ?? longLink ?? header.linkName,
    mtime: pax.mtime ?? header.mtime,
    size,
  };
}

/** Extended headers seen so far for the next entry, with the one just read added; one of each kind at most. */
export function addExtended(extended: Extended, header: TarHeader, data: Buffer): Extended {
  if (header.type === 'g') {
    parsePax(data, true);
    return extended;
  }
  const kind = header.type === 'x' ? 'pax' : header.type === 'L' ? 'longName' : 'longLink';
  if (extended[kind] !== undefined) throw new TarRefused('two extended headers of one kind for one entry');
  if (kind === 'pax') return { ...extended, pax: parsePax(data, false) };
  const value = text(data, 0, data.length);
  return { ...extended, [kind]: value };
}
