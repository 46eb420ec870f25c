import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('the layering of src/', () => {
  it('src/run and src/dispatch import nothing from src/cli', () => {
    const offenders = [...sources(join(SRC, 'run')), ...sources(join(SRC, 'dispatch'))].filter((file) =>
      /from '(\.\.\/)+cli\//.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => relative(SRC, file))).toEqual([]);
  });

  it('only the layout module knows where agentctl keeps a run\'s own state (no ".meta" elsewhere)', () => {
    const offenders = sources(SRC)
      .filter((file) => !file.endsWith(join('core', 'workspace', 'layout.ts')))
      .filter((file) => /['"`/]\.meta\b/.test(readFileSync(file, 'utf8').replaceAll('import.meta', '')));
    expect(offenders.map((file) => relative(SRC, file))).toEqual([]);
  });
});
