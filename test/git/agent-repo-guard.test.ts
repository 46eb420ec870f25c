import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentRepoProblem, headIsStill, workTreeProblem } from '../../src/git/agent-repo-guard.js';
import { statusPaths } from '../../src/git/host-repo.js';
import { makeTempDir } from '../support/git-fixtures.js';

const START = '0123456789abcdef0123456789abcdef01234567';
let repo: string;
let gitDir: string;

beforeEach(() => {
  repo = makeTempDir('guard');
  gitDir = join(repo, '.git');
  mkdirSync(join(gitDir, 'refs', 'heads', 'agent'), { recursive: true });
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe('headIsStill', () => {
  it.each<[string, () => void, boolean]>([
    ['a branch whose loose ref is the start', () => {
      writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/agent/issue-1\n');
      writeFileSync(join(gitDir, 'refs', 'heads', 'agent', 'issue-1'), `${START}\n`);
    }, true],
    ['a detached HEAD at the start', () => writeFileSync(join(gitDir, 'HEAD'), `${START}\n`), true],
    ['a branch that moved', () => {
      writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/agent/issue-1\n');
      writeFileSync(join(gitDir, 'refs', 'heads', 'agent', 'issue-1'), `${'f'.repeat(40)}\n`);
    }, false],
    ['a branch only in packed-refs', () => {
      writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/agent/issue-1\n');
      writeFileSync(join(gitDir, 'packed-refs'), `${START} refs/heads/agent/issue-1\n`);
    }, false],
    ['a HEAD that is a link to a file holding the start', () => {
      writeFileSync(join(repo, 'elsewhere'), `${START}\n`);
      symlinkSync(join(repo, 'elsewhere'), join(gitDir, 'HEAD'));
    }, false],
    ['a ref that climbs out of refs/', () => {
      writeFileSync(join(repo, 'outside'), `${START}\n`);
      writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/../../../outside\n');
    }, false],
    ['no HEAD', () => undefined, false],
  ])('%s', (_name, plant, still) => {
    plant();
    expect(headIsStill(repo, START)).toBe(still);
  });
});

describe('bounded walks', () => {
  it('refuses a .git of more entries than the bound, and accepts it within', () => {
    mkdirSync(join(gitDir, 'objects', 'ab'), { recursive: true });
    for (let i = 0; i < 20; i += 1) writeFileSync(join(gitDir, 'objects', 'ab', `obj${i}`), '');
    expect(agentRepoProblem(repo, 100)).toBeUndefined();
    expect(agentRepoProblem(repo, 10)).toMatch(/holds more than 10 entries/);
  });

  it('refuses a changed work tree of more entries than the bound', () => {
    mkdirSync(join(repo, 'gen'));
    for (let i = 0; i < 20; i += 1) writeFileSync(join(repo, 'gen', `f${i}`), '');
    expect(workTreeProblem(repo, ['gen/'], new Set(), 100)).toBeUndefined();
    expect(workTreeProblem(repo, ['gen/'], new Set(), 10)).toMatch(/more than 10 changed entries/);
  });

  it('refuses a gitlink of the start whose .git became a link, and accepts one whose .git is a directory', () => {
    mkdirSync(join(repo, 'sub', '.git'), { recursive: true });
    expect(workTreeProblem(repo, [], new Set(['sub']))).toBeUndefined();
    mkdirSync(join(repo, 'other'));
    symlinkSync('/', join(repo, 'other', '.git'));
    expect(workTreeProblem(repo, [], new Set(['other']))).toMatch(/other\/\.git is a link/);
  });

  it('reads the paths of git status --porcelain=v2 -z, with spaces, renames and untracked directories', () => {
    const out = [
      '# branch.oid abc',
      '1 .M N... 100644 100644 100644 aaa aaa a file.txt',
      '2 R. N... 100644 100644 100644 aaa aaa R100 new name.txt',
      'old name.txt',
      'u UU N... 100644 100644 100644 100644 aaa bbb ccc both.txt',
      '? untracked dir/',
      '',
    ].join('\0');
    expect(statusPaths(out)).toEqual(['a file.txt', 'new name.txt', 'both.txt', 'untracked dir/']);
  });
});
