import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headIsStill } from '../../src/git/agent-repo-guard.js';
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
