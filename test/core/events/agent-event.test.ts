import { describe, expect, it } from 'vitest';
import { arr, clipText, MAX_LINE_BYTES, MAX_TEXT_CHARS, num, obj, parseObject, str } from '../../../src/core/events/agent-event.js';

describe('limits', () => {
  it('lines are cut at 64 KiB and kept texts at 2000 characters', () => {
    expect(MAX_LINE_BYTES).toBe(64 * 1024);
    expect(MAX_TEXT_CHARS).toBe(2000);
  });
});

describe('clipText', () => {
  it.each<[string, string, number | undefined, string]>([
    ['short text is kept', 'hello', undefined, 'hello'],
    ['exactly at the limit is kept', 'a'.repeat(2000), undefined, 'a'.repeat(2000)],
    ['past the limit: cut and marked', 'a'.repeat(2001), undefined, `${'a'.repeat(2000)}…`],
    ['a smaller limit', 'abcdef', 3, 'abc…'],
    ['tabs and newlines stay', 'a\tb\nc', undefined, 'a\tb\nc'],
    ['C0 controls, CR and DEL go', 'a\u0000b\u0001c\u0008d\u000be\u000cf\rg\u001bh\u001fi\u007fj', undefined, 'abcdefghij'],
    ['C1 controls and other unicode stay', 'é\u0085ü→😀', undefined, 'é\u0085ü→😀'],
    ['controls are removed before measuring', `${'\u0000'.repeat(10)}${'a'.repeat(2000)}`, undefined, 'a'.repeat(2000)],
    ['empty', '', undefined, ''],
  ])('%s', (_name, text, max, expected) => {
    expect(max === undefined ? clipText(text) : clipText(text, max)).toBe(expected);
  });
});

describe('parseObject', () => {
  it.each<[string, string, Record<string, unknown> | undefined]>([
    ['an object', '{"type":"x","n":1}', { type: 'x', n: 1 }],
    ['an object with trailing CR', '{"a":1}\r', { a: 1 }],
    ['an object with trailing spaces', '{"a":1}   ', { a: 1 }],
    ['leading space: not taken', ' {"a":1}', undefined],
    ['an array', '[1]', undefined],
    ['a string', '"s"', undefined],
    ['a number', '1', undefined],
    ['null', 'null', undefined],
    ['invalid JSON', '{"a":', undefined],
    ['two objects', '{}{}', undefined],
    ['empty', '', undefined],
  ])('%s', (_name, line, expected) => {
    expect(parseObject(line)).toEqual(expected);
  });

  it('a __proto__ key stays an own property', () => {
    const parsed = parseObject('{"__proto__":{"polluted":1}}');
    expect(Object.keys(parsed ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('str, num, obj, arr', () => {
  it.each<[unknown, string | undefined]>([
    ['x', 'x'],
    ['', ''],
    [1, undefined],
    [null, undefined],
    [['x'], undefined],
  ])('str(%j) = %j', (value, expected) => {
    expect(str(value)).toBe(expected);
  });

  it.each<[unknown, number | undefined]>([
    [0, 0],
    [12.5, 12.5],
    [1e12, 1e12],
    [1e12 + 1, undefined],
    [Number.MAX_VALUE, undefined],
    [-1, undefined],
    [-0.0001, undefined],
    [Number.POSITIVE_INFINITY, undefined],
    [Number.NaN, undefined],
    ['5', undefined],
    [null, undefined],
    [undefined, undefined],
  ])('num(%s) = %s', (value, expected) => {
    expect(num(value)).toBe(expected);
  });

  it.each<[unknown, boolean]>([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [null, false],
    ['{}', false],
    [1, false],
  ])('obj(%j) is an object: %s', (value, isObject) => {
    expect(obj(value) !== undefined).toBe(isObject);
  });

  it.each<[unknown, unknown[]]>([
    [[1, 'a'], [1, 'a']],
    [[], []],
    [{ length: 1, 0: 'x' }, []],
    ['ab', []],
    [null, []],
  ])('arr(%j) = %j', (value, expected) => {
    expect(arr(value)).toEqual(expected);
  });
});
