import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const GENERATOR = fileURLToPath(new URL('../../docs/gen-terminal-svg.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentctl-terminal-svg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Render a `script -t` recording of these chunks (each [seconds, text]). */
function render(chunks: Array<[number, string]>, ...args: string[]): string {
  const body = chunks.map(([, text]) => text).join('');
  writeFileSync(join(dir, 'typescript'), `Script started on 2026-12-07 [COMMAND="x"]\n${body}\nScript done on 2026-12-07\n`);
  writeFileSync(join(dir, 'timing'), chunks.map(([seconds, text]) => `${seconds} ${Buffer.byteLength(text)}`).join('\n'));
  return execFileSync(process.execPath, [GENERATOR, join(dir, 'typescript'), join(dir, 'timing'), ...args], { encoding: 'utf8' });
}

const frames = (svg: string) => [...svg.matchAll(/<g class="f\d+">(.*?)<\/g>/g)].map((m) => (m[1] as string).replace(/<[^>]+>/g, '|').replace(/\|+/g, '|'));

describe('docs/gen-terminal-svg.mjs: the README picture from a terminal recording', () => {
  it('shows the status line rewritten in place, frame by frame, in colour, and the prompt first', () => {
    const svg = render([
      [0.1, '\r\x1b[2Kpreparing: .'],
      [0.5, '\r\x1b[2Krunning 1s'],
      [0.2, '\r\x1b[2K\x1b[32mcompleted\x1b[39m: demo on local/x\r\n'],
    ], 'agentctl dispatch --wait');
    expect(frames(svg)).toEqual([
      '|$| agentctl dispatch --wait|',
      '|$| agentctl dispatch --wait|preparing: .|',
      '|$| agentctl dispatch --wait|running 1s|',
      '|$| agentctl dispatch --wait|completed|: demo on local/x|',
    ]);
    expect(svg).toContain('<tspan fill="#98c379">completed</tspan>');
    expect(svg).not.toContain('Script done');
  });

  it('shows a path of the recording machine as the one asked for, and escapes what XML would take as markup', () => {
    const svg = render([[0.1, 'workspace: /tmp/demo.x1/ws <a&b>\r\n']], 'agentctl "x"', '/tmp/demo.x1', '/home/ada');
    expect(svg).toContain('workspace: /home/ada/ws &lt;a&amp;b&gt;');
    expect(svg).toContain('aria-label="agentctl &quot;x&quot; in a terminal"');
  });
});
