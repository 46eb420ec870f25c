import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chownTree, lendWorkspace } from '../../src/fs/chown-tree.js';
import { makeTempDir } from '../support/git-fixtures.js';

const root = process.getuid?.() === 0;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.runIf(root)('chownTree (as root)', () => {
  it('lends only repo/ and outbox/ to the agent: its own state and the inbox stay the host\'s', () => {
    const ws = makeTempDir('lend');
    dirs.push(ws);
    for (const part of ['repo', 'outbox', 'inbox', '.meta']) {
      mkdirSync(join(ws, part));
      writeFileSync(join(ws, part, 'file'), 'x');
    }
    lendWorkspace(ws, 1000, 1000);
    for (const part of ['repo', 'outbox']) expect(lstatSync(join(ws, part, 'file')).uid, part).toBe(1000);
    for (const part of ['inbox', '.meta', '']) expect(lstatSync(join(ws, part, part === '' ? '.' : 'file')).uid, part).toBe(0);
  });

  it('hands every file and directory over, symlinks themselves and not their targets', () => {
    const dir = makeTempDir('chown');
    const outside = makeTempDir('chown-outside');
    dirs.push(dir, outside);
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'b', 'file'), 'x');
    writeFileSync(join(outside, 'target'), 'y');
    symlinkSync(join(outside, 'target'), join(dir, 'a', 'link'));
    chownTree(dir, 1000, 1001);
    for (const path of [dir, join(dir, 'a'), join(dir, 'a', 'b'), join(dir, 'a', 'b', 'file'), join(dir, 'a', 'link')]) {
      expect([lstatSync(path).uid, lstatSync(path).gid], path).toEqual([1000, 1001]);
    }
    expect(lstatSync(join(outside, 'target')).uid).toBe(0);
  });

  it('skips entries another process removes meanwhile (lock directories coming and going)', async () => {
    const dir = makeTempDir('chown-race');
    dirs.push(dir);
    for (let i = 0; i < 50; i++) writeFileSync(join(dir, `file-${i}`), '');
    // Another process takes and releases lock directories as fast as it can while we walk.
    const churn = spawn('sh', ['-c', 'i=0; while [ $i -lt 500 ]; do mkdir l.lock && echo 1 > l.lock/pid && rm -rf l.lock; i=$((i+1)); done'], { cwd: dir, stdio: 'ignore' });
    const exited = once(churn, 'exit');
    let walks = 0;
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      expect(() => chownTree(dir, 1000, 1000)).not.toThrow();
      walks += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(walks).toBeGreaterThan(10);
  });
});
