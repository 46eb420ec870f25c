import { describe, expect, it } from 'vitest';
import { agentMounts, renderRunArgv, buildContainerSpec } from '../../../src/core/container/container-spec.js';
import type { Target } from '../../../src/core/names.js';
import { isReviewAgent, repoReadOnly } from '../../../src/core/run/read-only-target.js';

describe('read-only targets', () => {
  it.each<[string, { spec: string; base: string }, boolean]>([
    ['codex:review', { spec: 'codex:review', base: 'codex' }, true],
    ['coderabbit', { spec: 'coderabbit', base: 'coderabbit' }, true],
    ['coderabbit with a review type', { spec: 'coderabbit:uncommitted', base: 'coderabbit' }, true],
    ['codex', { spec: 'codex', base: 'codex' }, false],
    ['claude', { spec: 'claude:sonnet', base: 'claude' }, false],
  ])('%s is a review agent: %s', (_name, agent, review) => {
    expect(isReviewAgent(agent)).toBe(review);
  });

  it.each<[string, Target, boolean, boolean]>([
    ['a tag', { kind: 'tag', name: 'v1.0.0' }, false, true],
    ['a review agent on a PR', { kind: 'pr', number: 3 }, true, true],
    ['a review agent on a branch', { kind: 'branch', name: 'main' }, true, true],
    ['a coding agent on an issue', { kind: 'issue', number: 1 }, false, false],
    ['a coding agent on a PR', { kind: 'pr', number: 3 }, false, false],
  ])('%s gets the repository read-only: %s', (_name, target, review, readOnly) => {
    expect(repoReadOnly({ target, review })).toBe(readOnly);
  });

  it('mounts repo/ read-only and keeps the outbox writable for the review', () => {
    const mounts = agentMounts('/state/workspace/acme/web/tag-v1', true);
    expect(mounts).toEqual([
      { hostPath: '/state/workspace/acme/web/tag-v1/repo', containerPath: '/workspace/repo', readOnly: true },
      { hostPath: '/state/workspace/acme/web/tag-v1/outbox', containerPath: '/workspace/outbox', readOnly: false },
      { hostPath: '/state/workspace/acme/web/tag-v1/inbox', containerPath: '/workspace/inbox', readOnly: true },
    ]);
    expect(agentMounts('/w')[0]?.readOnly).toBe(false);
  });

  it('shows the read-only repository in the engine command line (what the dry run prints)', () => {
    const spec = buildContainerSpec({
      image: 'img',
      runId: 'r',
      workspaceRoot: '/w',
      mounts: agentMounts('/w', true),
      labels: {},
      configDirs: [],
      envNames: [],
      gitIdentity: { name: 'a', email: 'a@b' },
      hostUser: { uid: 1000, gid: 1000 },
      gpu: false,
      runtime: 'podman',
      argv: ['true'],
      stdin: false,
      autoRemove: true,
    });
    const argv = renderRunArgv('podman', spec);
    expect(argv).toContain('/w/repo:/workspace/repo:ro');
    expect(argv).toContain('/w/outbox:/workspace/outbox');
  });
});
