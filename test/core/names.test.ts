import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import {
  adhocId,
  assertNumber,
  assertRefName,
  assertSegment,
  describeTarget,
  refNameProblem,
  segmentProblem,
  slotFor,
  workBranchFor,
  type Target,
} from '../../src/core/names.js';
import { thrown } from './thrown.js';

describe('refNameProblem', () => {
  it.each([
    ['main'],
    ['feature/login'],
    ['v1.2.0'],
    ['release-2026.11'],
    ['agent/issue-42'],
    ['a.b/c_d-e'],
    ['x'.repeat(200)],
    ['user/jane.doe/fix-1'],
  ])('accepts %j', (name) => {
    expect(refNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['x'.repeat(201), 'it is longer than 200 characters'],
    ['..', 'it ends with "."'],
    ['a..b', 'it contains "..", which could escape the workspace and git refuses'],
    ['../escape', 'it contains "..", which could escape the workspace and git refuses'],
    ['/abs', 'it is an absolute path'],
    ['-rf', 'it starts with "-" and would be read as an option'],
    ['--upload-pack=x', 'it starts with "-" and would be read as an option'],
    ['x.lock', 'its component "x.lock" ends with ".lock"'],
    ['a.lock/b', 'its component "a.lock" ends with ".lock"'],
    ['.hidden', 'its component ".hidden" starts with "."'],
    ['a/.b', 'its component ".b" starts with "."'],
    ['a b', 'it contains a space, which git refuses in ref names'],
    ['a~1', 'it contains "~", which git refuses in ref names'],
    ['a^', 'it contains "^", which git refuses in ref names'],
    ['a:b', 'it contains ":", which git refuses in ref names'],
    ['a?', 'it contains "?", which git refuses in ref names'],
    ['a*', 'it contains "*", which git refuses in ref names'],
    ['a[', 'it contains "[", which git refuses in ref names'],
    ['a\\b', 'it contains "\\", which git refuses in ref names'],
    ['a@{1}', 'it contains "@{"'],
    ['@', 'it is "@", which git reserves'],
    ['trailing/', 'it ends with "/"'],
    ['trailing.', 'it ends with "."'],
    ['a//b', 'it contains "//"'],
    ['bell\u0007', 'it contains a control character U+0007'],
    ['line\nbreak', 'it contains a control character U+000A'],
    ['tab\there', 'it contains a control character U+0009'],
    ['del\u007f', 'it contains a control character U+007F'],
  ])('refuses %j: %s', (name, problem) => {
    expect(refNameProblem(name)).toBe(problem);
  });
});

describe('assertRefName', () => {
  it.each([
    ['branch', 'feature/login'],
    ['tag', 'v1.2.0'],
  ] as const)('returns a valid %s name unchanged', (kind, name) => {
    expect(assertRefName(kind, name)).toBe(name);
  });

  it.each([
    [
      'branch',
      'a b',
      'invalid branch name "a b": it contains a space, which git refuses in ref names',
      'use a name git accepts, such as "feature/login" (see git check-ref-format)',
    ],
    [
      'tag',
      '-rf',
      'invalid tag name "-rf": it starts with "-" and would be read as an option',
      'use a name git accepts, such as "v1.2.0" (see git check-ref-format)',
    ],
    [
      'branch',
      'x\n',
      'invalid branch name "x\\n": it contains a control character U+000A',
      'use a name git accepts, such as "feature/login" (see git check-ref-format)',
    ],
  ] as const)('refuses %s %j with a usage error', (kind, name, message, hint) => {
    const error = thrown(() => assertRefName(kind, name));
    expect(error.code).toBe('invalid_ref');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
  });
});

describe('segmentProblem', () => {
  it.each([['acme'], ['web-app'], ['my_repo.js'], ['_private'], ['9lives'], ['a'.repeat(100)]])('accepts %j', (name) => {
    expect(segmentProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['a'.repeat(101), 'it is longer than 100 characters'],
    ['.', '"." would escape the workspace root'],
    ['..', '".." would escape the workspace root'],
    ['-x', 'it starts with "-" and would be read as an option'],
    ['a..b', 'it contains ".."'],
    ['.hidden', 'it must start with a letter, digit or "_"'],
    ['a b', 'it contains a space; only letters, digits, ".", "_" and "-" are allowed'],
    ['a/b', 'it contains "/"; only letters, digits, ".", "_" and "-" are allowed'],
    ['a\\b', 'it contains "\\"; only letters, digits, ".", "_" and "-" are allowed'],
    ['café', 'it contains "é"; only letters, digits, ".", "_" and "-" are allowed'],
    ['$(id)', 'it contains "$"; only letters, digits, ".", "_" and "-" are allowed'],
    ['a\tb', 'it contains a control character U+0009'],
  ])('refuses %j: %s', (name, problem) => {
    expect(segmentProblem(name)).toBe(problem);
  });
});

describe('assertSegment', () => {
  it('returns a valid name unchanged', () => {
    expect(assertSegment('org', 'acme')).toBe('acme');
  });

  it.each([
    ['org', 'ac me', 'invalid org name "ac me": it contains a space; only letters, digits, ".", "_" and "-" are allowed', 'use a plain org name such as "acme"'],
    ['repo', '..', 'invalid repo name "..": ".." would escape the workspace root', 'use a plain repo name such as "web-app"'],
  ] as const)('refuses %s %j', (kind, name, message, hint) => {
    const error = thrown(() => assertSegment(kind, name));
    expect(error.code).toBe('invalid_name');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
  });
});

describe('assertNumber', () => {
  it.each([
    ['issue', 42, 42],
    ['issue', '42', 42],
    ['pr', '1', 1],
    ['pr', '9999999999', 9999999999],
  ] as const)('%s %j is %d', (kind, value, expected) => {
    expect(assertNumber(kind, value)).toBe(expected);
  });

  it.each([
    ['issue', 0, 'invalid issue number "0": it must be a positive whole number', 'pass e.g. --issue 42'],
    ['issue', -1, 'invalid issue number "-1": it must be a positive whole number', 'pass e.g. --issue 42'],
    ['issue', 1.5, 'invalid issue number "1.5": it must be a positive whole number', 'pass e.g. --issue 42'],
    ['issue', '1e3', 'invalid issue number "1e3": it must be a positive whole number', 'pass e.g. --issue 42'],
    ['pr', '12345678901', 'invalid pull request number "12345678901": it must be a positive whole number', 'pass e.g. --pr 42'],
    ['pr', '007', 'invalid pull request number "007": it must be a positive whole number', 'pass e.g. --pr 42'],
    ['pr', ' 42', 'invalid pull request number " 42": it must be a positive whole number', 'pass e.g. --pr 42'],
    ['pr', '', 'invalid pull request number "": it must be a positive whole number', 'pass e.g. --pr 42'],
    ['issue', '42abc', 'invalid issue number "42abc": it must be a positive whole number', 'pass e.g. --issue 42'],
  ] as const)('refuses %s %j', (kind, value, message, hint) => {
    const error = thrown(() => assertNumber(kind, value));
    expect(error.code).toBe('invalid_number');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(message);
    expect(error.hint).toBe(hint);
  });
});

describe('targets', () => {
  it.each<[Target, string, string | undefined, string]>([
    [{ kind: 'issue', number: 42 }, 'task-42', 'agent/issue-42', 'issue #42'],
    [{ kind: 'pr', number: 7 }, 'pr-7', 'pr-7', 'pull request #7'],
    [{ kind: 'branch', name: 'main' }, 'main', 'main', 'branch main'],
    [{ kind: 'branch', name: 'feature/login' }, 'feature-login', 'feature/login', 'branch feature/login'],
    [{ kind: 'branch', name: 'a/b/c' }, 'a-b-c', 'a/b/c', 'branch a/b/c'],
    [{ kind: 'tag', name: 'v1.2.0' }, 'v1.2.0', undefined, 'tag v1.2.0 (read-only)'],
    [{ kind: 'tag', name: 'releases/v2' }, 'releases-v2', undefined, 'tag releases/v2 (read-only)'],
    [{ kind: 'adhoc', id: 'run-20260304-050607-8000' }, 'run-20260304-050607-8000', 'agent/run-20260304-050607-8000', 'an ad-hoc task'],
  ])('%j: slot %s, branch %s, described as %s', (target, slot, branch, description) => {
    expect(slotFor(target)).toBe(slot);
    expect(workBranchFor(target)).toBe(branch);
    expect(describeTarget(target)).toBe(description);
  });
});

describe('adhocId', () => {
  it.each([
    ['2026-03-04T05:06:07.089Z', 0.5, 'run-20260304-050607-8000'],
    ['2026-12-31T23:59:59.999Z', 0, 'run-20261231-235959-0000'],
    ['2000-01-01T00:00:00.000Z', 0.999999, 'run-20000101-000000-ffff'],
    ['2026-11-05T13:14:15.000Z', 1 / 65536, 'run-20261105-131415-0001'],
    ['2026-11-05T13:14:15.000Z', 0x0abc / 0x10000, 'run-20261105-131415-0abc'],
  ])('at %s with random %d is %s', (iso, random, expected) => {
    const id = adhocId(new Date(iso), () => random);
    expect(id).toBe(expected);
    // The id becomes a workspace slot and part of a branch name, so both checks must accept it.
    expect(segmentProblem(id)).toBeUndefined();
    expect(refNameProblem(`agent/${id}`)).toBeUndefined();
  });

  it('uses UTC, not the local time zone', () => {
    expect(adhocId(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), () => 0)).toBe('run-20260102-030405-0000');
  });
});
