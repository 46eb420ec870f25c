import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendUntrusted, readUntrusted, readUntrustedTail, replaceUntrusted } from '../../src/fs/untrusted-file.js';
import { makeTempDir } from '../support/git-fixtures.js';

/** A directory an agent writes to, and a host file it would like us to touch. */
function scene(): { dir: string; victim: string } {
  const root = makeTempDir('untrusted');
  const dir = join(root, 'outbox');
  mkdirSync(dir);
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'host secret\n');
  return { dir, victim };
}

describe('files an agent could have planted', () => {
  it('a link is never read through, however it is read', () => {
    const { dir, victim } = scene();
    symlinkSync(victim, join(dir, 'BLOCKED.md'));
    expect(readUntrusted(join(dir, 'BLOCKED.md'), 1024)).toBeUndefined();
    expect(readUntrustedTail(join(dir, 'BLOCKED.md'), 1024)).toBeUndefined();
  });

  it('reads the start, or the end, of a large file within the bound and says it was cut', () => {
    const { dir } = scene();
    writeFileSync(join(dir, 'big'), `${'a'.repeat(100)}${'z'.repeat(100)}`);
    expect(readUntrusted(join(dir, 'big'), 100)).toEqual({ text: 'a'.repeat(100), truncated: true, size: 200 });
    expect(readUntrustedTail(join(dir, 'big'), 100)).toEqual({ text: 'z'.repeat(100), truncated: true, size: 200 });
    expect(readUntrustedTail(join(dir, 'big'), 1000)?.truncated).toBe(false);
  });

  it('appending to a log replaced by a link starts a new log and leaves the link target alone', () => {
    const { dir, victim } = scene();
    symlinkSync(victim, join(dir, 'agent.log'));
    appendUntrusted(join(dir, 'agent.log'), 'run 2\n');
    expect(readFileSync(victim, 'utf8')).toBe('host secret\n');
    expect(lstatSync(join(dir, 'agent.log')).isFile()).toBe(true);
    appendUntrusted(join(dir, 'agent.log'), 'more\n');
    expect(readFileSync(join(dir, 'agent.log'), 'utf8')).toBe('run 2\nmore\n');
  });

  it('a directory planted where a log goes is replaced by the log', () => {
    const { dir } = scene();
    mkdirSync(join(dir, 'agent.log'));
    appendUntrusted(join(dir, 'agent.log'), 'run 1\n');
    expect(readFileSync(join(dir, 'agent.log'), 'utf8')).toBe('run 1\n');
  });

  it('replacing ANSWER.md replaces a planted link instead of writing through it', () => {
    const { dir, victim } = scene();
    symlinkSync(victim, join(dir, 'ANSWER.md'));
    replaceUntrusted(join(dir, 'ANSWER.md'), '# Answer\n');
    expect(readFileSync(victim, 'utf8')).toBe('host secret\n');
    expect(lstatSync(join(dir, 'ANSWER.md')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'ANSWER.md'), 'utf8')).toBe('# Answer\n');
  });
});
