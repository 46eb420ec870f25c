import { describe, expect, it } from 'vitest';
import {
  assemblePrompt,
  BLOCKED_FILE,
  BLOCKED_INSTRUCTIONS,
  MAX_PROMPT_BYTES,
  type PromptInput,
} from '../../../src/core/prompt/assemble-prompt.js';
import { thrown } from '../thrown.js';

function input(overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    template: { name: 'coding', text: '# Task\n\n{{task}}\n' },
    conventions: { name: 'conventions', text: '## Conventions\n\nWork on {{repo}}. Keep commits small.\n' },
    security: { name: 'security', text: '## Security\n\nNever print secrets.\n' },
    repoInstructions: [],
    vars: { task: 'Fix the login bug', repo: 'acme/web' },
    ...overrides,
  };
}

describe('assemblePrompt', () => {
  it('puts the template first and the BLOCKED.md instructions last', () => {
    expect(assemblePrompt(input())).toBe(
      '# Task\n\nFix the login bug\n\n' +
        '## Conventions\n\nWork on acme/web. Keep commits small.\n\n' +
        '## Security\n\nNever print secrets.\n\n' +
        `${BLOCKED_INSTRUCTIONS}\n`,
    );
  });

  it('orders template, Persona, Plan, repository instructions, conventions, security, BLOCKED.md', () => {
    const prompt = assemblePrompt(
      input({
        persona: { name: 'reviewer', text: '\nYou review code for {{repo}}.\n\n' },
        plan: { name: 'plan', text: '1. Read.\n2. Fix.' },
        repoInstructions: [
          { name: 'AGENTS.md', text: 'Use pnpm.\n' },
          { name: 'CLAUDE.md', text: '  Run the linter.  ' },
        ],
      }),
    );
    expect(prompt).toBe(
      [
        '# Task\n\nFix the login bug',
        '## Persona\n\nYou review code for acme/web.',
        '## Plan\n\n1. Read.\n2. Fix.',
        '## Repository instructions (AGENTS.md)\n\nUse pnpm.',
        '## Repository instructions (CLAUDE.md)\n\nRun the linter.',
        '## Conventions\n\nWork on acme/web. Keep commits small.',
        '## Security\n\nNever print secrets.',
        BLOCKED_INSTRUCTIONS,
      ].join('\n\n') + '\n',
    );
  });

  it('tells the agent where BLOCKED.md goes', () => {
    expect(BLOCKED_FILE).toBe('BLOCKED.md');
    expect(BLOCKED_INSTRUCTIONS).toContain('`/workspace/repo/BLOCKED.md`');
    expect(BLOCKED_INSTRUCTIONS.startsWith('## If you cannot proceed\n\n')).toBe(true);
  });

  it.each([
    ['Run {{task}} and {{not_a_var}} verbatim.'],
    ['{{ repo }} $& $$'],
  ])('does not expand repository instructions %j', (text) => {
    const prompt = assemblePrompt(input({ repoInstructions: [{ name: 'AGENTS.md', text }] }));
    expect(prompt).toContain(`## Repository instructions (AGENTS.md)\n\n${text}\n\n## Conventions`);
  });

  it('does not expand placeholders inside the task text', () => {
    const prompt = assemblePrompt(input({ vars: { task: 'print {{repo}} literally', repo: 'acme/web' } }));
    expect(prompt.startsWith('# Task\n\nprint {{repo}} literally\n\n')).toBe(true);
  });

  it.each<[string, Partial<PromptInput>, string]>([
    ['template', { template: { name: 'coding', text: '{{nope}}' } }, 'template "coding" uses unknown variable {{nope}}'],
    ['persona', { persona: { name: 'reviewer', text: '{{nope}}' } }, 'persona "reviewer" uses unknown variable {{nope}}'],
    ['plan', { plan: { name: 'plan', text: '{{nope}}' } }, 'plan template "plan" uses unknown variable {{nope}}'],
    ['conventions', { conventions: { name: 'conventions', text: '{{nope}}' } }, 'template "conventions" uses unknown variable {{nope}}'],
    ['security', { security: { name: 'security', text: '{{nope}}' } }, 'template "security" uses unknown variable {{nope}}'],
  ])('an unknown variable in the %s is reported with its source', (_part, overrides, message) => {
    const error = thrown(() => assemblePrompt(input(overrides)));
    expect(error.code).toBe('unknown_variable');
    expect(error.message).toBe(message);
  });

  describe('size limit', () => {
    const baseBytes = Buffer.byteLength(assemblePrompt(input({ repoInstructions: [{ name: 'AGENTS.md', text: 'x' }] })), 'utf8');
    const fill = (extra: number) => input({ repoInstructions: [{ name: 'AGENTS.md', text: 'x'.repeat(MAX_PROMPT_BYTES - baseBytes + 1 + extra) }] });

    it('is 1 MiB', () => {
      expect(MAX_PROMPT_BYTES).toBe(1048576);
    });

    it('accepts a prompt of exactly MAX_PROMPT_BYTES', () => {
      expect(Buffer.byteLength(assemblePrompt(fill(0)), 'utf8')).toBe(MAX_PROMPT_BYTES);
    });

    it('refuses one byte more with prompt_too_large', () => {
      const error = thrown(() => assemblePrompt(fill(1)));
      expect(error.code).toBe('prompt_too_large');
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe('the rendered prompt is 1048577 bytes, above the 1048576-byte limit');
      expect(error.hint).toBe('shorten the task text or the repository instructions (AGENTS.md / CLAUDE.md)');
    });

    it('counts UTF-8 bytes, not characters', () => {
      const task = 'é'.repeat(MAX_PROMPT_BYTES / 2);
      expect(task.length).toBeLessThan(MAX_PROMPT_BYTES);
      expect(thrown(() => assemblePrompt(input({ vars: { task, repo: 'acme/web' } }))).code).toBe('prompt_too_large');
    });
  });
});
