import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveWorkspace } from '../../src/service/resolve-workspace.js';
import { makeTempDir } from '../support/git-fixtures.js';

/** A state home with one workspace, whose checkout holds a `.meta/` an agent planted there. */
function scene() {
  const user = makeTempDir('resolve');
  const state = join(user, 'state');
  const ws = join(state, 'workspace', 'acme', 'web', 'task-1');
  mkdirSync(join(ws, '.meta'), { recursive: true });
  writeFileSync(join(ws, '.meta', 'status.json'), '{}');
  mkdirSync(join(ws, 'repo', '.meta'), { recursive: true });
  writeFileSync(join(ws, 'repo', '.meta', 'status.json'), JSON.stringify({ state: 'running', runtime: 'host', pid: 1 }));
  const elsewhere = join(user, 'elsewhere');
  mkdirSync(join(elsewhere, '.meta'), { recursive: true });
  return { deps: { cwd: user, env: { AGENTCTL_HOME: state }, home: user }, state, ws, elsewhere };
}

describe('resolving a workspace', () => {
  it('takes org/repo/slot, or the workspace path itself, relative or absolute', () => {
    const { deps, ws } = scene();
    expect(resolveWorkspace('acme/web/task-1', deps)).toBe(ws);
    expect(resolveWorkspace(ws, deps)).toBe(ws);
    expect(resolveWorkspace('.', { ...deps, cwd: ws })).toBe(ws);
  });

  it.each([
    ['org/repo/slot/repo', 'acme/web/task-1/repo'],
    ['a path into the checkout', (ws: string) => join(ws, 'repo')],
    ['the checkout as the current directory', '.'],
  ])("never takes a .meta an agent planted inside a workspace: %s", (_name, arg) => {
    const { deps, ws } = scene();
    const given = typeof arg === 'function' ? arg(ws) : arg;
    const cwd = given === '.' ? join(ws, 'repo') : deps.cwd;
    expect(() => resolveWorkspace(given, { ...deps, cwd })).toThrow(/no workspace/);
  });

  it('never takes a directory outside the state home, nor one reached through a link', () => {
    const { deps, state, elsewhere } = scene();
    expect(() => resolveWorkspace(elsewhere, deps)).toThrow(/no workspace/);
    symlinkSync(elsewhere, join(state, 'workspace', 'acme', 'web', 'linked'));
    expect(() => resolveWorkspace('acme/web/linked', deps)).toThrow(/no workspace/);
  });
});
