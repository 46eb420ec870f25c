import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandsReference } from '../../src/cli/operations/reference.js';

const reference = readFileSync(new URL('../../docs/reference/commands.md', import.meta.url), 'utf8');

describe('docs/reference/commands.md', () => {
  it('is exactly what the operations generate (run npm run docs:commands after changing one)', () => {
    expect(reference).toBe(commandsReference());
  });

  it('shows each flag with its value, default and help, and which MCP tool an operation is', () => {
    expect(reference).toContain('| `--older-than` | `<age>` | `"7d"` | only workspaces finished longer ago than this (30m, 12h, 7d) |');
    expect(reference).toContain('| `-f, --follow` | switch |  | keep printing new output until the run has ended |');
    expect(reference).toContain('MCP tool `cancel`, input: `workspace`.');
    expect(reference).not.toContain('--supervise');
  });
});
