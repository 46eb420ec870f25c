import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_DOCS } from '../../src/cli/reference-docs.js';
import { configSchema } from '../../src/core/config/schema.js';
import { ExitCode } from '../../src/core/errors.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/reference/${name}.md`, import.meta.url), 'utf8');

describe('docs/reference/ is what the code generates', () => {
  it.each(Object.keys(REFERENCE_DOCS))('%s.md (after a change: npm run docs:reference)', (name) => {
    expect(doc(name)).toBe(REFERENCE_DOCS[name]?.());
  });
});

describe('what the references say', () => {
  it('commands.md shows each flag with its value, default and help, and which MCP tool an operation is', () => {
    const reference = doc('commands');
    expect(reference).toContain('| `--older-than` | `<age>` | `"7d"` | only workspaces finished longer ago than this (30m, 12h, 7d) |');
    expect(reference).toContain('| `-f, --follow` | switch |  | keep printing new output until the run has ended |');
    expect(reference).toContain('MCP tool `cancel`, input: `workspace`.');
    expect(reference).not.toContain('--supervise');
  });

  it('config.md lists every top-level section with its defaults', () => {
    const reference = doc('config');
    for (const section of Object.keys(configSchema.shape)) expect(reference).toContain(`| \`${section}\` |`);
    expect(reference).toContain('| `timeouts.grace` | number | `5` | Seconds between SIGTERM and SIGKILL. |');
  });

  it('exit-codes.md gives every exit code a meaning', () => {
    const reference = doc('exit-codes');
    for (const [name, code] of Object.entries(ExitCode)) expect(reference).toMatch(new RegExp(`\\| ${code} \\| \`${name}\` \\| \\S`));
  });

  it('json.md names who prints each shape, and links shapes used inside others', () => {
    const reference = doc('json');
    expect(reference).toContain('## Status\n\nPrinted by `status --json`.');
    expect(reference).toContain('| `runs` | array of [Status run](#status-run) |');
    expect(reference).toContain('| `summary` | [Run summary](#run-summary) |');
    expect(reference).toContain('| `ok` | boolean |  | no check failed (exit 0; else exit 4) |');
  });
});
