import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/core/run/status.js';
import { runSummary, type SummaryFacts } from '../../../src/core/run/summary.js';

const WS = '/state/workspace/acme/web/task-9';

function status(overrides: Partial<RunStatus>): RunStatus {
  return { version: 1, state: 'completed', workspace: WS, repo: 'acme/web', agent: 'claude', pool: 'claude', runtime: 'docker', runCount: 1, warnings: [], ...overrides };
}

const PUSH: SummaryFacts = { push: true, review: false };
const NO_PUSH: SummaryFacts = { push: false, review: false };

describe('runSummary: why nothing was pushed', () => {
  it.each<[string, Partial<RunStatus>, SummaryFacts, string | null]>([
    ['pushed with a PR', { pushed: { branch: 'b', commit: 'c' }, pullRequest: { number: 3, url: 'https://f/pr/3' } }, PUSH, null],
    ['completed, push not asked for', {}, NO_PUSH, 'push was not asked for (--push, or defaults.push in the config)'],
    ['failed, push not asked for: nothing to say', { state: 'failed' }, NO_PUSH, null],
    ['no changes, push not asked for: nothing to say', { noChanges: true }, NO_PUSH, null],
    ['a review never pushes', {}, { push: true, review: true }, null],
    ['failed with --push', { state: 'failed' }, PUSH, 'the run was not completed'],
    ['blocked with --push', { state: 'blocked' }, PUSH, 'the run is blocked on a question'],
    ['cancelled with --push', { state: 'cancelled' }, PUSH, 'the run was cancelled'],
    ['QA failed with --push', { qa: { state: 'failed', commands: [], log: 'l' } }, PUSH, 'QA failed'],
    ['no changes with --push', { noChanges: true }, PUSH, 'the agent changed nothing'],
    ['publishing said why', { warnings: ['not pushed: main is the base or default branch, which agentctl never pushes to'] }, PUSH, 'main is the base or default branch, which agentctl never pushes to'],
    ['still running', { state: 'running' }, PUSH, null],
  ])('%s', (_, overrides, facts, expected) => {
    expect(runSummary(status(overrides), facts).notPushed).toBe(expected);
  });
});

describe('runSummary: what a person acts on', () => {
  it('carries the PR, verdict, failing QA command and its hint, denied tools, cost, turns and the session to resume', () => {
    const summary = runSummary(
      status({
        reason: 'agent exited with code 0',
        pullRequest: { number: 3, url: 'https://f/pr/3' },
        pushed: { branch: 'b', commit: 'c' },
        review: { verdict: 'request-changes', posted: true },
        qa: { state: 'failed', commands: ['make test'], failedCommand: 'make test', log: 'l', reason: '"make test" failed (exit code 127)', hint: 'install make' },
        deniedTools: ['Bash', 'WebFetch'],
        usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.1234 },
        turns: 7,
        sessionId: 'sess-1',
      }),
      PUSH,
    );
    expect(summary).toEqual({
      outcome: 'completed (QA failed)',
      reason: 'agent exited with code 0',
      hint: null,
      pullRequest: 'https://f/pr/3',
      notPushed: null,
      reviewVerdict: 'request-changes',
      qa: { state: 'failed', failedCommand: 'make test', reason: '"make test" failed (exit code 127)', hint: 'install make' },
      deniedTools: ['Bash', 'WebFetch'],
      costUsd: 0.1234,
      turns: 7,
      sessionId: 'sess-1',
      next: `agentctl resume ${WS}`,
    });
  });

  it.each<[string, Partial<RunStatus>, string | null]>([
    ['a claude session resumes', { sessionId: 's' }, `agentctl resume ${WS}`],
    ['a codex session is shown but not resumable', { agent: 'codex', sessionId: 's' }, null],
    ['a blocked run is answered', { state: 'blocked' }, `agentctl answer ${WS} "…"`],
    ['no session, nothing to resume', {}, null],
  ])('next step: %s', (_, overrides, expected) => {
    expect(runSummary(status(overrides), NO_PUSH).next).toBe(expected);
  });
});
