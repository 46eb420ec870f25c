import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');
const fromAClone = readme.split('\n## From a clone\n')[1]?.split('\n## ')[0] ?? '';
const commands = [...fromAClone.matchAll(/^(npm [^#\n]*?)\s*(?:#.*)?$/gm)].map((m) => m[1]);

describe("the README's From a clone commands", () => {
  it('are the demo (a dry run, no key, no engine) and the test command', () => {
    expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.demo).toContain('dispatch --dry-run');
  });

  it('.ci/run ends by running exactly the README test command', () => {
    const lines = read('.ci/run').trimEnd().split('\n');
    expect(lines.at(-1)).toBe(commands[1]);
  });

  it('stays a short page for a new user; the rest is in docs/', () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(10_000);
    for (const heading of ['## Install', '## First run', '## Recipes', '## From a clone', '## Documentation']) expect(readme).toContain(`\n${heading}\n`);
  });
});
