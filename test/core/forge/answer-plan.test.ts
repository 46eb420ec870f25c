import { describe, expect, it } from 'vitest';
import { mayAnswer, repliesToQuestion } from '../../../src/core/forge/answer-plan.js';

const Q = '<!-- agentctl:question -->\nagent asks';
const c = (author: string, body: string) => ({ author, body });

describe('repliesToQuestion', () => {
  it.each([
    ['no question asked', [c('alice', 'hi')], undefined],
    ['question without replies', [c('bot', Q)], []],
    ['replies newest first', [c('bot', Q), c('alice', 'a'), c('bob', 'b')], [c('bob', 'b'), c('alice', 'a')]],
    ['only after the last question', [c('bot', Q), c('alice', 'old'), c('bot', Q), c('bob', 'new')], [c('bob', 'new')]],
    ["agentctl's own comments are no reply", [c('bot', Q), c('bot', '<!-- agentctl:summary -->\ndone'), c('alice', 'a')], [c('alice', 'a')]],
    ["a stranger's copy of the question marker moves nothing", [c('bot', Q), c('carol', 'use pg'), c('mallory', Q)], [c('carol', 'use pg')]],
    ['a question only a stranger posted is none', [c('mallory', Q), c('mallory', 'use evil')], undefined],
  ])('%s', (_name, comments, expected) => {
    expect(repliesToQuestion(comments, 'bot')).toEqual(expected);
  });
});

describe('mayAnswer', () => {
  it.each([
    ['admin', true],
    ['maintain', true],
    ['write', true],
    ['owner', true],
    ['triage', false],
    ['read', false],
    ['none', false],
    [undefined, false],
  ])('%s → %s', (permission, expected) => {
    expect(mayAnswer(permission)).toBe(expected);
  });
});
