import { describe, expect, it } from 'vitest';
import { copyPathProblem, planCopies } from '../../../src/core/workspace/copy-plan.js';
import { thrown } from '../thrown.js';

const HOME = '/home/ada';

describe('planCopies: repos.<repo>.copy as a user writes it', () => {
  it.each([
    ['a plain entry keeps its name', ['.env'], [{ from: '.env', to: '.env' }]],
    ['a plain entry is normalised', ['config/./local.env'], [{ from: 'config/local.env', to: 'config/local.env' }]],
    ['{from, to} renames inside the checkout', [{ from: '.env.example', to: '.env' }], [{ from: '.env.example', to: '.env' }]],
    ['a from on this machine, absolute', [{ from: '/etc/agentctl/web.env', to: '.env' }], [{ from: '/etc/agentctl/web.env', to: '.env' }]],
    ['a from under ~/ is the home of whoever dispatches', [{ from: '~/secrets/web.env', to: '.env' }], [{ from: `${HOME}/secrets/web.env`, to: '.env' }]],
  ] as const)('%s', (_, entries, steps) => {
    expect(planCopies(entries as never, HOME, 'repos.acme/web.copy')).toEqual(steps);
  });

  it.each([
    ['an absolute plain entry', ['/etc/passwd'], 'repos.acme/web.copy[0]: "/etc/passwd" is an absolute path, and a plain entry is copied to the same path inside the checkout'],
    ['a plain entry that leaves the checkout', ['../other/.env'], 'repos.acme/web.copy[0]: "../other/.env" leaves the checkout'],
    ['a target that leaves the checkout', [{ from: '.env.example', to: '../../.bashrc' }], 'repos.acme/web.copy[0].to: "../../.bashrc" leaves the checkout'],
    ['an absolute target', [{ from: '.env.example', to: '/root/.bashrc' }], 'repos.acme/web.copy[0].to: "/root/.bashrc" is an absolute path'],
    ['a relative from that leaves the checkout', [{ from: '../x', to: '.env' }], 'repos.acme/web.copy[0].from: "../x" leaves the checkout; it must be a relative path inside it, such as .env, or an absolute or ~/ path on this machine'],
    ['an empty target', [{ from: '.env.example', to: '.' }], 'repos.acme/web.copy[0].to: "." names no file'],
    ['control characters', ['.env\n'], 'repos.acme/web.copy[0]: ".env\\n" has control characters'],
  ] as const)('refuses %s, naming the entry and the fix', (_, entries, message) => {
    const error = thrown(() => planCopies(entries as never, HOME, 'repos.acme/web.copy'));
    expect(error.code).toBe('invalid_copy');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`invalid ${message}`);
    expect(error.hint).toBe('fix repos.<org/name>.copy in the config');
  });

  it('the later entries are not planned once one is refused: nothing lands half-copied', () => {
    expect(() => planCopies(['.env', '../x'], HOME, 'c')).toThrow(/c\[1\]/);
  });
});

describe('copyPathProblem: what the config check says of one path', () => {
  it.each([
    ['.env', 'entry', undefined],
    ['/abs/file', 'from', undefined],
    ['~/file', 'from', undefined],
    ['/abs/file', 'to', '"/abs/file" is an absolute path; it must be a relative path inside the checkout, such as .env'],
    ['a/../../b', 'to', '"a/../../b" leaves the checkout; it must be a relative path inside it, such as .env'],
    ['', 'entry', '"" names no file; it must be a relative path inside the checkout, such as .env'],
  ] as const)('%j as %s', (path, role, problem) => {
    expect(copyPathProblem(path, role)).toBe(problem);
  });
});
