import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Relative imports of a file (static, `import type` and dynamic alike), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\()'(\.[^']+)'/g)].map((m) => resolve(dirname(file), (m[1] as string).replace(/\.js$/, '.ts')));
}

/** A cycle of imports among `files` (as a list ending where it began), or undefined. */
function findCycle(files: string[]): string[] | undefined {
  const inside = new Set(files);
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]): string[] | undefined => {
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    if (state.get(file) === 'done') return undefined;
    state.set(file, 'open');
    for (const next of importsOf(file).filter((f) => inside.has(f))) {
      const cycle = visit(next, [...path, file]);
      if (cycle !== undefined) return cycle;
    }
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const cycle = visit(file, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe('the layering of src/', () => {
  it('src/run and src/dispatch import each other in no cycle', () => {
    const cycle = findCycle([...sources(join(SRC, 'run')), ...sources(join(SRC, 'dispatch'))]);
    expect(cycle?.map((file) => relative(SRC, file))).toBeUndefined();
  });

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
