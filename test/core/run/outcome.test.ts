import { describe, expect, it } from 'vitest';
import { decideOutcome, MAX_QUESTION_CHARS, type Outcome, type RunEnd } from '../../../src/core/run/outcome.js';

const end = (overrides: Partial<RunEnd>): RunEnd => ({ exitCode: 0, killed: false, blockedText: undefined, ...overrides });

describe('decideOutcome', () => {
  it('keeps the question limit at 8000 characters', () => {
    expect(MAX_QUESTION_CHARS).toBe(8000);
  });

  it.each<[string, RunEnd, Outcome]>([
    ['exit 0, no BLOCKED.md: completed', end({}), { state: 'completed', reason: undefined, question: undefined }],
    [
      'no exit code and a node lost: failed, named as such',
      end({ exitCode: undefined, lost: 'node-lost: the node running the task went down' }),
      { state: 'failed', reason: 'node-lost: the node running the task went down', question: undefined },
    ],
    ['an exit code wins over a backend note', end({ exitCode: 3, lost: 'node-lost: x' }), { state: 'failed', reason: 'agent exited with code 3', question: undefined }],
    ['exit 0 with an empty BLOCKED.md: completed', end({ blockedText: '' }), { state: 'completed', reason: undefined, question: undefined }],
    [
      'exit 0 with a whitespace-only BLOCKED.md: ignored',
      end({ blockedText: ' \n\t\n  ' }),
      { state: 'completed', reason: undefined, question: undefined },
    ],
    [
      'whitespace-only BLOCKED.md does not hide a failure',
      end({ exitCode: 2, blockedText: '\n\n' }),
      { state: 'failed', reason: 'agent exited with code 2', question: undefined },
    ],
    [
      'BLOCKED.md wins over exit 0, trimmed',
      end({ blockedText: '\n  Which database should I use?\nPostgres or SQLite?  \n\n' }),
      { state: 'blocked', reason: 'agent wrote BLOCKED.md', question: 'Which database should I use?\nPostgres or SQLite?' },
    ],
    [
      'BLOCKED.md wins over a non-zero exit',
      end({ exitCode: 3, blockedText: 'Need a token' }),
      { state: 'blocked', reason: 'agent wrote BLOCKED.md', question: 'Need a token' },
    ],
    [
      'BLOCKED.md wins over a kill',
      end({ exitCode: 137, killed: true, blockedText: 'Out of ideas' }),
      { state: 'blocked', reason: 'agent wrote BLOCKED.md', question: 'Out of ideas' },
    ],
    [
      'BLOCKED.md wins over an unknown exit code',
      end({ exitCode: undefined, blockedText: 'Where is the spec?' }),
      { state: 'blocked', reason: 'agent wrote BLOCKED.md', question: 'Where is the spec?' },
    ],
    [
      'unknown exit code: abandoned',
      end({ exitCode: undefined }),
      { state: 'failed', reason: 'abandoned: the agent process is gone and left no exit code', question: undefined },
    ],
    [
      'unknown exit code beats the killed flag',
      end({ exitCode: undefined, killed: true }),
      { state: 'failed', reason: 'abandoned: the agent process is gone and left no exit code', question: undefined },
    ],
    ['killed', end({ exitCode: 137, killed: true }), { state: 'failed', reason: 'agent was killed (exit code 137)', question: undefined }],
    ['killed even with exit 0', end({ exitCode: 0, killed: true }), { state: 'failed', reason: 'agent was killed (exit code 0)', question: undefined }],
    ['exit 1', end({ exitCode: 1 }), { state: 'failed', reason: 'agent exited with code 1', question: undefined }],
    ['exit 143 not flagged as killed', end({ exitCode: 143 }), { state: 'failed', reason: 'agent exited with code 143', question: undefined }],
  ])('%s', (_name, input, expected) => {
    expect(decideOutcome(input)).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['exactly the limit is kept whole', 'q'.repeat(8000), 'q'.repeat(8000)],
    ['one over the limit is cut with an ellipsis', 'q'.repeat(8001), `${'q'.repeat(8000)}…`],
    ['a huge question is cut at 8000 characters', `${'a'.repeat(7999)}bc${'z'.repeat(100_000)}`, `${'a'.repeat(7999)}b…`],
    ['the limit counts after trimming', `   ${'w'.repeat(8000)}\n\n`, 'w'.repeat(8000)],
  ])('question length: %s', (_name, blockedText, question) => {
    const outcome = decideOutcome(end({ blockedText }));
    expect(outcome.state).toBe('blocked');
    expect(outcome.question).toBe(question);
  });
});

describe('decideOutcome with a start failure', () => {
  const startFailure = { kind: 'cli-missing', reason: 'the agent CLI "claude" was not found', hint: 'install it' } as const;

  it('names the start failure, its hint and kind', () => {
    expect(decideOutcome(end({ exitCode: 127, startFailure }))).toEqual({
      state: 'failed',
      reason: 'the agent CLI "claude" was not found',
      question: undefined,
      hint: 'install it',
      startFailure: 'cli-missing',
    });
  });

  it('lets a stop by agentctl and a question win', () => {
    expect(decideOutcome(end({ exitCode: 127, startFailure, stopReason: 'timeout' })).startFailure).toBeUndefined();
    expect(decideOutcome(end({ exitCode: 127, startFailure, blockedText: 'why?' })).state).toBe('blocked');
  });
});
