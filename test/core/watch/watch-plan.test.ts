import { describe, expect, it } from 'vitest';
import { claimable, claimKey, labelMove, nextPollSeconds, outcomeComment, outcomeOf, WATCH_MARKER, watchLabels } from '../../../src/core/watch/watch-plan.js';

describe('watchLabels', () => {
  it.each([
    ['agent:ready', undefined, ['agent:running', 'agent:done', 'agent:blocked', 'agent:failed']],
    ['agent/ready', undefined, ['agent/running', 'agent/done', 'agent/blocked', 'agent/failed']],
    ['Ready', undefined, ['running', 'done', 'blocked', 'failed']],
    ['queue', undefined, ['queue:running', 'queue:done', 'queue:blocked', 'queue:failed']],
    ['agent:ready', { done: 'shipped' }, ['agent:running', 'shipped', 'agent:blocked', 'agent:failed']],
  ] as const)('%s with %o', (label, labels, [running, done, blocked, failed]) => {
    expect(watchLabels({ label, labels })).toEqual({ ready: label, running, done, blocked, failed });
  });
});

describe('claimable: only with the ready label and without the running one', () => {
  const names = watchLabels({ label: 'agent:ready', labels: undefined });
  it.each([
    [['agent:ready'], true],
    [['bug', 'Agent:Ready'], true],
    [['agent:ready', 'agent:running'], false],
    [['agent:running'], false],
    [['agent:done'], false],
    [[], false],
  ])('%o -> %s', (labels, expected) => expect(claimable(labels, names)).toBe(expected));
});

describe('outcomeOf: from the state agentctl recorded', () => {
  it.each([
    [{ state: 'queued' }, undefined],
    [{ state: 'running' }, undefined],
    [{ state: 'completed' }, 'done'],
    [{ state: 'completed', qa: { state: 'passed' } }, 'done'],
    [{ state: 'completed', qa: { state: 'failed' } }, 'failed'],
    [{ state: 'failed' }, 'failed'],
    [{ state: 'cancelled' }, 'failed'],
    [{ state: 'blocked' }, 'blocked'],
  ] as const)('%o -> %s', (status, expected) => expect(outcomeOf(status as never)).toBe(expected));
});

describe('labelMove', () => {
  const names = watchLabels({ label: 'agent:ready', labels: undefined });
  it.each([
    ['claim', 'agent:running', ['agent:ready']],
    ['answered', 'agent:running', ['agent:blocked']],
    ['blocked', 'agent:blocked', ['agent:running']],
    ['done', 'agent:done', ['agent:running', 'agent:blocked']],
    ['failed', 'agent:failed', ['agent:running', 'agent:blocked']],
  ] as const)('%s adds %s, removes %o', (step, add, remove) => expect(labelMove(names, step)).toEqual({ add, remove }));
});

describe('nextPollSeconds: exponential backoff per failed poll, capped', () => {
  it.each([
    [60, 0, 60],
    [60, 1, 120],
    [60, 3, 480],
    [60, 10, 900],
    [1, 2, 4],
    [3600, 2, 3600],
  ])('every %i s after %i failures -> %i s', (poll, failures, expected) => expect(nextPollSeconds(poll, failures)).toBe(expected));
});

describe('outcomeComment', () => {
  it('carries the marker, the recorded outcome and the PR, on clean lines', () => {
    const body = outcomeComment(
      { state: 'completed', reason: 'agent exited 0\nand more', agent: 'claude', workspace: '/w', runCount: 2, pullRequest: { number: 9, url: 'https://x/pull/9' }, qa: undefined },
      'done',
    );
    expect(body.startsWith(WATCH_MARKER)).toBe(true);
    expect(body).toContain('run 2 of `claude` ended **completed**: done.');
    expect(body).toContain('Reason: agent exited 0 and more');
    expect(body).toContain('Pull request: https://x/pull/9');
  });
});

it('claimKey names the forge, repo, kind and number', () => {
  expect(claimKey('gh', 'acme', 'web', 'issues', 4)).toBe('gh/acme/web/issue/4');
  expect(claimKey('gh', 'acme', 'web', 'pull_request', 4)).toBe('gh/acme/web/pr/4');
});
