import { describe, expect, it } from 'vitest';
import { parseVars, renderTemplate } from '../../../src/core/prompt/render-template.js';
import { thrown } from '../thrown.js';

const vars = { task: 'Fix the login bug', repo: 'acme/web', issue: '42', 'repo.slug': 'acme/web' };

describe('renderTemplate', () => {
  it.each([
    ['Fix: {{task}}', 'Fix: Fix the login bug'],
    ['Fix: {{ task }}', 'Fix: Fix the login bug'],
    ['{{  repo  }}#{{issue}}', 'acme/web#42'],
    ['{{task}}{{task}}', 'Fix the login bugFix the login bug'],
    ['{{repo.slug}}', 'acme/web'],
    ['no placeholders at all', 'no placeholders at all'],
    ['{task} stays', '{task} stays'],
    ['{{ta sk}} is not a placeholder', '{{ta sk}} is not a placeholder'],
    ['line1\n{{issue}}\nline3', 'line1\n42\nline3'],
  ])('%j renders as %j', (text, expected) => {
    expect(renderTemplate(text, vars, 'template "coding"')).toBe(expected);
  });

  it.each([
    ['{{task}} and {{secret}}'],
    ['{{ task }}'],
    ['$& $1 $$ $` $\''],
  ])('expands once: a value %j is inserted verbatim', (value) => {
    expect(renderTemplate('<{{task}}>', { task: value }, 'template "coding"')).toBe(`<${value}>`);
  });

  it.each([
    [
      'Do {{task}} in {{nope}}',
      'template "coding" uses unknown variable {{nope}}',
    ],
    [
      '{{a}} {{b}} {{a}}',
      'template "coding" uses unknown variables {{a}}, {{b}}',
    ],
    ['{{ Task }}', 'template "coding" uses unknown variable {{Task}}'],
    ['{{}}', 'template "coding" uses unknown variable {{}}'],
  ])('%j is refused', (text, message) => {
    const error = thrown(() => renderTemplate(text, vars, 'template "coding"'));
    expect(error.code).toBe('unknown_variable');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(message);
    expect(error.hint).toBe('known variables: issue, repo, repo.slug, task; pass others with --var name=value');
  });

  it('names the source it was given', () => {
    expect(thrown(() => renderTemplate('{{x}}', { task: 't' }, 'persona "reviewer"')).message).toBe(
      'persona "reviewer" uses unknown variable {{x}}',
    );
  });
});

describe('parseVars', () => {
  it.each<[string[], Record<string, string>]>([
    [[], {}],
    [['a=b'], { a: 'b' }],
    [['ticket_url=https://example.com/T-1?x=y'], { ticket_url: 'https://example.com/T-1?x=y' }],
    [['empty='], { empty: '' }],
    [['a=1', 'a=2'], { a: '2' }],
    [['_x=1', 'Y2=two words'], { _x: '1', Y2: 'two words' }],
    [['note={{task}}'], { note: '{{task}}' }],
  ])('%j parses to %j', (pairs, expected) => {
    expect(parseVars(pairs)).toStrictEqual(expected);
  });

  it.each([['novalue'], ['=x'], ['1a=x'], ['a-b=x'], ['a b=x'], ['a.b=x'], ['']])('%j is refused', (pair) => {
    const error = thrown(() => parseVars(['ok=1', pair]));
    expect(error.code).toBe('invalid_var');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`invalid --var ${JSON.stringify(pair)}: expected name=value with a name of letters, digits and "_"`);
    expect(error.hint).toBe('for example --var ticket_url=https://example.com/T-1');
  });
});
