import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeIn } from '../../../src/run/backend/exit-code.js';
import { localOutbox } from '../../../src/run/backend/local-outbox.js';
import { makeTempDir } from '../../support/git-fixtures.js';

/** A workspace whose repo/ and outbox/ an agent wrote to, and a host file it would like us to touch. */
function scene(): { workspace: string; outbox: string; repo: string; victim: string } {
  const workspace = makeTempDir('outbox');
  const outbox = join(workspace, 'outbox');
  const repo = join(workspace, 'repo');
  mkdirSync(outbox);
  mkdirSync(repo);
  const victim = join(workspace, 'victim.txt');
  writeFileSync(victim, 'host secret\n');
  return { workspace, outbox, repo, victim };
}

describe('a workspace outbox on this machine', () => {
  it.each([
    ['0\n', 0],
    ['143\n', 143],
    ['255', 255],
    ['256\n', undefined],
    ['-1\n', undefined],
    ['1e3\n', undefined],
    ['3 4\n', undefined],
    ['', undefined],
  ])('an exit-code file holding %j is %s', (text, code) => {
    const { workspace, outbox } = scene();
    writeFileSync(join(outbox, 'exit-code'), text);
    expect(exitCodeIn(localOutbox(workspace, 'codex'))).toBe(code);
  });

  it('an exit-code file that is a link to a host file is no exit code', () => {
    const { workspace, outbox, victim } = scene();
    writeFileSync(victim, '0\n');
    symlinkSync(victim, join(outbox, 'exit-code'));
    expect(exitCodeIn(localOutbox(workspace, 'codex'))).toBeUndefined();
  });

  it("reads the agent's question from repo/BLOCKED.md, within the bound, and never through a link", () => {
    const { workspace, repo, victim } = scene();
    writeFileSync(join(repo, 'BLOCKED.md'), 'Which database?\n');
    expect(localOutbox(workspace, 'codex').read('question', 5)).toEqual({ text: 'Which', truncated: true, size: 16 });
    const linked = scene();
    symlinkSync(linked.victim, join(linked.repo, 'BLOCKED.md'));
    const outbox = localOutbox(linked.workspace, 'codex');
    expect(outbox.read('question', 1024)).toBeUndefined();
    expect(outbox.present('question')).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('host secret\n');
  });

  it("opens the agent's own log for reading in steps, but not a fifo in its place", () => {
    const { workspace, outbox } = scene();
    writeFileSync(join(outbox, 'agent-claude.log'), 'hello world');
    const log = localOutbox(workspace, 'claude').open('log');
    const buffer = Buffer.alloc(5);
    expect(log?.size).toBe(11);
    expect(log?.readAt(buffer, 6, 5)).toBe(5);
    expect(buffer.toString()).toBe('world');
    log?.close();
    const fifo = scene();
    execFileSync('mkfifo', [join(fifo.outbox, 'agent-claude.log')]);
    expect(localOutbox(fifo.workspace, 'claude').open('log')).toBeUndefined();
  });

  it('clears what an earlier run left, removing a planted link and not its target', () => {
    const { workspace, outbox, repo, victim } = scene();
    symlinkSync(victim, join(outbox, 'exit-code'));
    writeFileSync(join(outbox, 'exit-code.tmp'), '0\n');
    writeFileSync(join(repo, 'BLOCKED.md'), 'old question\n');
    localOutbox(workspace, 'codex').clear(['exit-code', 'question']);
    expect(() => lstatSync(join(outbox, 'exit-code'))).toThrow();
    expect(() => lstatSync(join(outbox, 'exit-code.tmp'))).toThrow();
    expect(() => lstatSync(join(repo, 'BLOCKED.md'))).toThrow();
    expect(readFileSync(victim, 'utf8')).toBe('host secret\n');
  });

  it("notes agentctl's header in the log, replacing a link instead of writing through it", () => {
    const { workspace, outbox, victim } = scene();
    symlinkSync(victim, join(outbox, 'agent-codex.log'));
    localOutbox(workspace, 'codex').note('=== agentctl run 1 ===\n');
    expect(readFileSync(join(outbox, 'agent-codex.log'), 'utf8')).toBe('=== agentctl run 1 ===\n');
    expect(readFileSync(victim, 'utf8')).toBe('host secret\n');
  });
});
