import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentctlError } from '../../src/core/errors.js';
import { copyIntoCheckout, readRepoInstructions } from '../../src/workspace/repo-files.js';

let dir: string;
let repo: string;
let host: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentctl-repo-files-'));
  repo = join(dir, 'repo');
  host = join(dir, 'host');
  mkdirSync(repo);
  mkdirSync(host);
  writeFileSync(join(host, 'secret.txt'), 'host secret\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => void): AgentctlError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AgentctlError);
    return error as AgentctlError;
  }
  throw new Error('expected a refusal');
}

describe('readRepoInstructions', () => {
  it('reads AGENTS.md and CLAUDE.md as regular files', () => {
    writeFileSync(join(repo, 'AGENTS.md'), 'Run make check.\n');
    writeFileSync(join(repo, 'CLAUDE.md'), 'Be brief.\n');
    expect(readRepoInstructions(repo)).toEqual({
      docs: [
        { name: 'AGENTS.md', text: 'Run make check.\n' },
        { name: 'CLAUDE.md', text: 'Be brief.\n' },
      ],
      warnings: [],
    });
  });

  it.each([
    ['a link to a host file', () => symlinkSync(join(host, 'secret.txt'), join(repo, 'AGENTS.md')), 'a link'],
    ['a link to /proc/self/environ', () => symlinkSync('/proc/self/environ', join(repo, 'AGENTS.md')), 'a link'],
    ['a dangling link', () => symlinkSync(join(host, 'missing'), join(repo, 'AGENTS.md')), 'a link'],
    ['a directory', () => mkdirSync(join(repo, 'AGENTS.md')), 'not a regular file'],
    ['a fifo', () => execFileSync('mkfifo', [join(repo, 'AGENTS.md')]), 'not a regular file'],
  ])('skips AGENTS.md that is %s, with a warning, without reading it', (_name, plant, what) => {
    plant();
    const read = readRepoInstructions(repo);
    expect(read.docs).toEqual([]);
    expect(read.warnings).toEqual([`AGENTS.md in the repository is ${what}: skipped, not read into the prompt`]);
  });

  it('reads nothing through a checkout directory that is itself a link', () => {
    writeFileSync(join(host, 'AGENTS.md'), 'host file\n');
    symlinkSync(host, join(dir, 'linked-repo'));
    const read = readRepoInstructions(join(dir, 'linked-repo'));
    expect(read.docs).toEqual([]);
    expect(read.warnings).toEqual([`${join(dir, 'linked-repo')} is a link: no repository instructions read`]);
  });

  it('reads at most 64 KiB of each, saying it was cut', () => {
    writeFileSync(join(repo, 'CLAUDE.md'), 'x'.repeat(100_000));
    const [doc] = readRepoInstructions(repo).docs;
    expect(doc?.text.startsWith('x'.repeat(64 * 1024))).toBe(true);
    expect(doc?.text.endsWith('\n\n[truncated: CLAUDE.md is 100000 bytes]')).toBe(true);
  });
});

describe('copyIntoCheckout', () => {
  it('copies a file of the checkout and an operator-named host file, making parent directories', () => {
    writeFileSync(join(repo, '.env.example'), 'PORT=1\n');
    copyIntoCheckout(repo, [
      { from: '.env.example', to: '.env' },
      { from: join(host, 'secret.txt'), to: 'config/local/secret.txt' },
    ]);
    expect(readFileSync(join(repo, '.env'), 'utf8')).toBe('PORT=1\n');
    expect(readFileSync(join(repo, 'config', 'local', 'secret.txt'), 'utf8')).toBe('host secret\n');
  });

  it('replaces a committed regular file at the target', () => {
    writeFileSync(join(repo, '.env.example'), 'PORT=1\n');
    writeFileSync(join(repo, '.env'), 'old\n');
    copyIntoCheckout(repo, [{ from: '.env.example', to: '.env' }]);
    expect(readFileSync(join(repo, '.env'), 'utf8')).toBe('PORT=1\n');
  });

  it.each([
    ['the source is a committed link', () => symlinkSync(join(host, 'secret.txt'), join(repo, 'leak')), { from: 'leak', to: 'copy' }, 'the source crosses leak'],
    ['the source sits under a committed directory link', () => symlinkSync(host, join(repo, 'conf')), { from: 'conf/secret.txt', to: 'copy' }, 'the source crosses conf'],
    ['the source is a directory', () => mkdirSync(join(repo, 'adir')), { from: 'adir', to: 'copy' }, 'not a regular file'],
    ['the target directory is a committed link', () => symlinkSync(host, join(repo, 'out')), { from: 'ok.txt', to: 'out/planted' }, 'the target crosses out'],
    ['a deeper target directory is a committed link', () => (mkdirSync(join(repo, 'a')), symlinkSync(host, join(repo, 'a', 'b'))), { from: 'ok.txt', to: 'a/b/planted' }, 'the target crosses a/b'],
    ['the target is a committed link', () => symlinkSync(join(host, 'secret.txt'), join(repo, 'victim')), { from: 'ok.txt', to: 'victim' }, 'the target is a link'],
  ])('refuses an entry when %s, naming it, and writes nothing', (_name, plant, step, why) => {
    writeFileSync(join(repo, 'ok.txt'), 'fine\n');
    plant();
    const error = refusal(() => copyIntoCheckout(repo, [{ from: 'ok.txt', to: 'first.txt' }, step]));
    expect(error.code).toBe('copy_refused');
    expect(error.message).toContain(`${step.from} → ${step.to}`);
    expect(error.message).toContain(why);
    expect(readFileSync(join(host, 'secret.txt'), 'utf8')).toBe('host secret\n');
    expect(readdirSync(host).sort()).toEqual(['secret.txt']);
    expect(existsSync(join(repo, 'first.txt'))).toBe(false);
  });

  it('names a missing source', () => {
    const error = refusal(() => copyIntoCheckout(repo, [{ from: 'nope.env', to: '.env' }]));
    expect(error.code).toBe('copy_source_missing');
    expect(error.message).toContain('nope.env does not exist');
  });

  it('never follows a link at the target even for a host source', () => {
    symlinkSync(join(host, 'secret.txt'), join(repo, 'victim'));
    refusal(() => copyIntoCheckout(repo, [{ from: join(host, 'secret.txt'), to: 'victim' }]));
    expect(lstatSync(join(repo, 'victim')).isSymbolicLink()).toBe(true);
  });
});
