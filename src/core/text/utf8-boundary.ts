/**
 * How many of the first `n` bytes of `buffer` end on a whole UTF-8
 * character. A reader that decodes a file block by block keeps the bytes of
 * a character cut by the block's end for the next block, instead of turning
 * them into replacement characters. Bytes that are no UTF-8 at all count as
 * whole: there is nothing to wait for.
 */
export function wholeCharBytes(buffer: Uint8Array, n: number): number {
  for (let back = 1; back <= Math.min(3, n); back++) {
    const byte = buffer[n - back] as number;
    // A continuation byte: its character started further back.
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? n - back : n;
  }
  return n;
}
