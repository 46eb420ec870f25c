/**
 * A workspace belongs to a repository and a target, not to the URL it was
 * first cloned from: the same org/name and issue reached through another
 * remote (the forge moved to another host name; a URL instead of org/name)
 * reuses the workspace and moves agentctl's own record to the new origin.
 * Another repository that happens to have the same org/name is still refused.
 * Real bare repositories; the agent runs on the host, so no engine is needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';

let forge: Forge;
let other: Forge;
let moved: string;
const homes: string[] = [];

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'x', { 'README.md': '# x\n' });
  // The same forge under another name, as after a host rename.
  moved = `${forge.dir}-moved`;
  symlinkSync(forge.dir, moved);
  // A different repository that is also called acme/x.
  other = makeForge();
  other.createRepo('acme', 'x', { 'OTHER.md': 'unrelated\n' });
});

afterAll(() => {
  rmSync(moved, { force: true });
  forge?.cleanup();
  other?.cleanup();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function setForge(home: string, url: string): void {
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
  agent: editor
forges:
  f:
    kind: forgejo
    url: ${url}
agents:
  editor:
    native: true
    command: [sh, -c, 'echo edited >> CHANGES.md']
qa:
  enabled: false
`,
  );
}

function makeHome(): { home: string; env: Record<string, string>; state: string } {
  const home = makeTempDir('ws-identity');
  homes.push(home);
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  setForge(home, forge.url);
  const state = join(home, 'state');
  return { home, env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state }, state };
}

const record = (ws: string) => JSON.parse(readFileSync(join(ws, '.meta', 'workspace.json'), 'utf8')) as { cloneUrl: string; commit: string };
const status = (ws: string) => JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8')) as { state: string; warnings?: string[] };
const gitConfig = (dir: string, key: string) => execFileSync('git', ['--git-dir', dir, 'config', '--get', key], { encoding: 'utf8' }).trim();

describe('the same repository through another URL', () => {
  it('a renamed forge host: the workspace is reused, its record and mirror follow the new origin, the run collects its work', () => {
    const h = makeHome();
    const first = runCli(['dispatch', '--repo', 'acme/x', '--issue', '1', '--task', 'Edit.', '--wait', '--json'], h.env);
    expect(first.code, first.stderr).toBe(0);
    const ws = join(h.state, 'workspace', 'acme', 'x', 'task-1');
    expect(record(ws).cloneUrl).toBe(`${forge.url}/acme/x.git`);
    const before = record(ws);

    setForge(h.home, `file://${moved}`);
    const second = runCli(['dispatch', '--repo', 'acme/x', '--issue', '1', '--task', 'Edit again.', '--wait', '--json'], h.env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('exists for something else');
    expect(second.stderr).toContain(`note: acme/x is now reached at file://${moved}/acme/x.git (was ${forge.url}/acme/x.git): workspace ${ws} is kept and follows it`);
    expect(readdirSync(join(h.state, 'workspace', 'acme', 'x'))).toEqual(['task-1']);
    expect(record(ws)).toEqual({ ...before, cloneUrl: `file://${moved}/acme/x.git` });
    expect(status(ws).state).toBe('completed');
    expect(status(ws).warnings ?? []).not.toContainEqual(expect.stringContaining('could not collect'));
    // The mirror agentctl now uses is the new origin's; the checkout's own .git/config (the agent's) is not agentctl's to edit.
    const mirrors = join(h.state, 'cache', 'mirrors', 'acme');
    const origins = readdirSync(mirrors).filter((d) => d.endsWith('.git')).map((d) => gitConfig(join(mirrors, d), 'remote.origin.url'));
    expect(origins).toContain(`file://${moved}/acme/x.git`);
    expect(readFileSync(join(ws, 'repo', 'CHANGES.md'), 'utf8')).toBe('edited\nedited\n');
  });

  it('org/name, then a URL of the same repository: one workspace', () => {
    const h = makeHome();
    const first = runCli(['dispatch', '--repo', 'acme/x', '--issue', '2', '--task', 'Edit.', '--dry-run'], h.env);
    expect(first.code, first.stderr).toBe(0);
    const second = runCli(['dispatch', '--repo', `file://${moved}/acme/x.git`, '--issue', '2', '--task', 'Edit.', '--dry-run', '--json'], h.env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ reused: true, workspace: join(h.state, 'workspace', 'acme', 'x', 'task-2') });
    expect(readdirSync(join(h.state, 'workspace', 'acme', 'x'))).toEqual(['task-2']);
  });

  it('another repository with the same org/name is still refused, and the workspace is left as it was', () => {
    const h = makeHome();
    const first = runCli(['dispatch', '--repo', 'acme/x', '--issue', '3', '--task', 'Edit.', '--dry-run'], h.env);
    expect(first.code, first.stderr).toBe(0);
    const ws = join(h.state, 'workspace', 'acme', 'x', 'task-3');
    const before = record(ws);
    setForge(h.home, other.url);
    const second = runCli(['dispatch', '--repo', 'acme/x', '--issue', '3', '--task', 'Edit.', '--dry-run'], h.env);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`agentctl: workspace ${ws} already exists for another repository`);
    expect(second.stderr).toContain(`hint: it was made from ${forge.url}/acme/x.git for acme/x issue #3, and ${other.url}/acme/x.git does not have its start commit ${before.commit}`);
    expect(record(ws)).toEqual(before);
    expect(existsSync(join(ws, 'repo', 'README.md'))).toBe(true);
  });
});
