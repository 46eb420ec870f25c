import { describe, expect, it } from 'vitest';
import { wholeCharBytes } from '../../../src/core/text/utf8-boundary.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('wholeCharBytes', () => {
  it.each<[string, Buffer, number]>([
    ['empty', bytes(''), 0],
    ['ASCII', bytes('abc'), 3],
    ['ends on a whole 2-byte character', bytes('aé'), 3],
    ['ends on a whole 3-byte character', bytes('a€'), 4],
    ['ends on a whole 4-byte character', bytes('a😀'), 5],
    ['the first byte of 2', bytes('a', [0xc3]), 1],
    ['two bytes of 3', bytes('a', [0xe2, 0x82]), 1],
    ['three bytes of 4', bytes('a', [0xf0, 0x9f, 0x98]), 1],
    ['only a cut character', bytes([0xe2, 0x82]), 0],
    ['stray continuation bytes count as whole', bytes('a', [0x80, 0x80, 0x80, 0x80]), 5],
  ])('%s', (_name, buffer, expected) => {
    expect(wholeCharBytes(buffer, buffer.length)).toBe(expected);
  });

  it('a text cut at every byte decodes to the same text, block by block', () => {
    const text = 'a€b😀cé'.repeat(3);
    const all = Buffer.from(text);
    for (let cut = 0; cut <= all.length; cut++) {
      const first = wholeCharBytes(all, cut);
      expect(all.toString('utf8', 0, first) + all.toString('utf8', first)).toBe(text);
    }
  });
});
