import { describe, expect, it } from 'vitest';
import type { Target } from '../../../src/core/names.js';
import type { RepoRef } from '../../../src/core/repo-spec.js';
import { mirrorDirFor, planWorkspace, workspaceRoot, type CheckoutPlan } from '../../../src/core/workspace/plan-workspace.js';

const HOME = '/home/me/.agentctl';
const github: RepoRef = {
  org: 'acme',
  name: 'web',
  slug: 'acme/web',
  cloneUrl: 'https://github.com/acme/web.git',
  source: 'forge',
  forge: 'github',
};
const codeberg: RepoRef = { ...github, cloneUrl: 'https://codeberg.org/acme/web.git', forge: 'codeberg' };
const GITHUB_MIRROR = '/home/me/.agentctl/cache/mirrors/acme/web-4f0f80f05d.git';
const CODEBERG_MIRROR = '/home/me/.agentctl/cache/mirrors/acme/web-90e78c4b01.git';

describe('planWorkspace', () => {
  it.each<[Target, string | undefined, string, CheckoutPlan]>([
    [{ kind: 'issue', number: 42 }, 'main', 'task-42', { kind: 'new-branch', branch: 'agent/issue-42', base: 'main' }],
    [{ kind: 'issue', number: 42 }, undefined, 'task-42', { kind: 'new-branch', branch: 'agent/issue-42', base: undefined }],
    [{ kind: 'pr', number: 7 }, 'main', 'pr-7', { kind: 'pr', number: 7, branch: 'pr-7', base: 'main' }],
    [{ kind: 'branch', name: 'feature/login' }, 'develop', 'feature-login', { kind: 'branch', branch: 'feature/login', base: 'develop' }],
    [{ kind: 'tag', name: 'v1.2.0' }, 'main', 'v1.2.0', { kind: 'tag', tag: 'v1.2.0' }],
    [
      { kind: 'adhoc', id: 'run-20260304-050607-8000' },
      'main',
      'run-20260304-050607-8000',
      { kind: 'new-branch', branch: 'agent/run-20260304-050607-8000', base: 'main' },
    ],
  ])('%j (base %s) lives in slot %s', (target, base, slot, checkout) => {
    const root = `/home/me/.agentctl/workspace/acme/web/${slot}`;
    expect(planWorkspace(HOME, github, target, base)).toStrictEqual({
      repo: github,
      target,
      slot,
      root,
      repoDir: `${root}/repo`,
      metaDir: `${root}/.meta`,
      mirrorDir: GITHUB_MIRROR,
      checkout,
    });
  });

  it('normalises a home with a trailing slash', () => {
    expect(planWorkspace('/home/me/.agentctl/', github, { kind: 'issue', number: 1 }, undefined).root).toBe(
      '/home/me/.agentctl/workspace/acme/web/task-1',
    );
  });
});

describe('workspaceRoot and mirrorDirFor', () => {
  it('workspaces live under <home>/workspace', () => {
    expect(workspaceRoot(HOME)).toBe('/home/me/.agentctl/workspace');
  });

  it.each<[RepoRef, string]>([
    [github, GITHUB_MIRROR],
    [codeberg, CODEBERG_MIRROR],
  ])('%j mirrors to %s', (repo, dir) => {
    expect(mirrorDirFor(HOME, repo)).toBe(dir);
  });

  it('two URLs with the same org/name never share a mirror', () => {
    expect(mirrorDirFor(HOME, github)).not.toBe(mirrorDirFor(HOME, codeberg));
  });

  it('all targets of one repo share one mirror', () => {
    const dirs = new Set(
      ([{ kind: 'issue', number: 1 }, { kind: 'pr', number: 2 }, { kind: 'tag', name: 'v1' }] as Target[]).map(
        (target) => planWorkspace(HOME, github, target, 'main').mirrorDir,
      ),
    );
    expect([...dirs]).toStrictEqual([GITHUB_MIRROR]);
  });
});
