import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const markdown = ['README.md', 'SECURITY.md', 'CHANGELOG.md', ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))].filter((f) =>
  existsSync(join(root, f)),
);

/** The heading anchors of a Markdown file, as GitHub makes them. */
function anchors(text: string): Set<string> {
  const slugs = [...text.replace(/```[\s\S]*?```/g, '').matchAll(/^#+ (.*)$/gm)].map((m) =>
    (m[1] as string)
      .toLowerCase()
      .replace(/[`*_[\]()]/g, '')
      .replace(/[^\p{L}\p{N} -]/gu, '')
      .replace(/ /g, '-'),
  );
  return new Set(slugs);
}

/** [text](target) outside code: relative targets only (no scheme, no mail). */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((target) => !/^[a-z]+:/i.test(target));
}

describe('relative links in README.md and docs/', () => {
  it('there are Markdown files to check, and the README links into docs/', () => {
    expect(markdown).toContain('README.md');
    expect(links(readFileSync(join(root, 'README.md'), 'utf8')).some((target) => target.startsWith('docs/'))).toBe(true);
  });

  it.each(markdown)('every relative link in %s resolves, anchors included', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const broken: string[] = [];
    for (const target of links(text)) {
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? join(root, file) : join(root, dirname(file), decodeURIComponent(path));
      if (!existsSync(resolved) || relative(root, resolved).startsWith('..')) broken.push(target);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });
});
