import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configReference } from '../../src/core/config/reference.js';
import { configSchema } from '../../src/core/config/schema.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe("the README's configuration reference", () => {
  it('is exactly what the schema generates (run npm run docs:config after changing the schema)', () => {
    const start = readme.indexOf('<!-- config-reference:start -->\n') + '<!-- config-reference:start -->\n'.length;
    const end = readme.indexOf('<!-- config-reference:end -->');
    expect(readme.slice(start, end)).toBe(configReference());
  });

  it('lists every top-level section with its defaults', () => {
    const reference = configReference();
    for (const section of Object.keys(configSchema.shape)) expect(reference).toContain(`| \`${section}\` |`);
    expect(reference).toContain('| `timeouts.grace` | number | `5` | Seconds between SIGTERM and SIGKILL. |');
  });
});
