import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAge, run as gc } from '../../../src/cli/commands/gc.js';
import type { RunStatus } from '../../../src/core/run/status.js';
import { cli, isoAfter } from '../../fakes/command-harness.js';
import { fakeDeps as makeDeps, type FakeDeps } from '../../fakes/fake-deps.js';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function fakeDeps(): FakeDeps {
  const d = makeDeps();
  homes.push(d.home);
  return d;
}

const DAY = 86_400;

function workspace(d: FakeDeps, slot: string): string {
  const ws = join(d.state, 'workspace', 'acme', 'web', slot);
  mkdirSync(join(ws, '.meta'), { recursive: true });
  mkdirSync(join(ws, 'outbox'), { recursive: true });
  mkdirSync(join(ws, 'repo'), { recursive: true });
  writeFileSync(join(ws, 'repo', 'README.md'), '# web\n');
  return ws;
}

function withStatus(d: FakeDeps, slot: string, overrides: Partial<RunStatus>): string {
  const ws = workspace(d, slot);
  const status: RunStatus = {
    version: 1,
    state: 'completed',
    workspace: ws,
    repo: 'acme/web',
    agent: 'codex',
    pool: 'codex',
    runtime: 'docker',
    runCount: 1,
    warnings: [],
    ...overrides,
  };
  writeFileSync(join(ws, '.meta', 'status.json'), JSON.stringify(status));
  return ws;
}

/**
 * Seven workspaces, at fakeDeps' NOW:
 *  task-1 completed 10 days ago         task-2 completed 1 day ago
 *  task-3 failed 8 days ago             task-4 queued for 30 days
 *  task-5 running for 30 days           task-6 prepared only (dry run), created 9 days ago
 *  task-7 cancelled, with no finishedAt
 */
function fixture() {
  const d = fakeDeps();
  const ws = {
    oldCompleted: withStatus(d, 'task-1', { startedAt: isoAfter(-11 * DAY), finishedAt: isoAfter(-10 * DAY) }),
    newCompleted: withStatus(d, 'task-2', { startedAt: isoAfter(-DAY - 60), finishedAt: isoAfter(-DAY) }),
    oldFailed: withStatus(d, 'task-3', { state: 'failed', startedAt: isoAfter(-8 * DAY - 60), finishedAt: isoAfter(-8 * DAY), reason: 'agent exited with code 1' }),
    oldQueued: withStatus(d, 'task-4', { state: 'queued', runCount: 0, queuedAt: isoAfter(-30 * DAY), seq: 1 }),
    oldRunning: withStatus(d, 'task-5', { state: 'running', containerId: 'c-1', startedAt: isoAfter(-30 * DAY) }),
    oldPrepared: workspace(d, 'task-6'),
    noFinish: withStatus(d, 'task-7', { state: 'cancelled' }),
  };
  writeFileSync(join(ws.oldPrepared, '.meta', 'workspace.json'), JSON.stringify({ repo: 'acme/web', createdAt: isoAfter(-9 * DAY) }));
  return { d, ws };
}

describe('gc', () => {
  it('removes finished and prepared workspaces older than 7 days by default; never queued or running ones', async () => {
    const { d, ws } = fixture();
    expect(await gc({}, d)).toBe(0);
    expect(d.io.stdout).toBe(`removed ${ws.oldCompleted}\nremoved ${ws.oldFailed}\nremoved ${ws.oldPrepared}\n`);
    expect(d.io.stderr).toBe('3 workspace(s) removed, 4 kept\n');
    for (const gone of [ws.oldCompleted, ws.oldFailed, ws.oldPrepared]) expect(existsSync(gone)).toBe(false);
    for (const kept of [ws.newCompleted, ws.oldQueued, ws.oldRunning, ws.noFinish]) expect(existsSync(join(kept, 'repo', 'README.md'))).toBe(true);
  });

  it.each<[string, string[], string[]]>([
    ['12h', ['task-1', 'task-2', 'task-3', 'task-6'], ['task-4', 'task-5', 'task-7']],
    // Exactly at the threshold counts as older: task-6 was created exactly 9 days ago.
    ['9d', ['task-1', 'task-6'], ['task-2', 'task-3', 'task-4', 'task-5', 'task-7']],
    ['11d', [], ['task-1', 'task-2', 'task-3', 'task-4', 'task-5', 'task-6', 'task-7']],
    ['30m', ['task-1', 'task-2', 'task-3', 'task-6'], ['task-4', 'task-5', 'task-7']],
    ['365d', [], ['task-1', 'task-2', 'task-3', 'task-4', 'task-5', 'task-6', 'task-7']],
  ])('--older-than %s --json', async (age, removed, kept) => {
    const { d } = fixture();
    const path = (slot: string) => join(d.state, 'workspace', 'acme', 'web', slot);
    expect(await gc({ olderThan: age, json: true }, d)).toBe(0);
    expect(JSON.parse(d.io.stdout)).toEqual({ dryRun: false, removed: removed.map(path), kept: kept.map(path) });
    expect(d.io.stderr).toBe('');
    for (const slot of removed) expect(existsSync(path(slot))).toBe(false);
    for (const slot of kept) expect(existsSync(path(slot))).toBe(true);
  });

  it('keeps a finished workspace that a queued run waits for (dispatch --after): it decides whether that run starts', async () => {
    const { d, ws } = fixture();
    withStatus(d, 'task-8', { state: 'queued', runCount: 0, queuedAt: isoAfter(-DAY), seq: 2, after: [ws.oldCompleted] });
    expect(await gc({}, d)).toBe(0);
    expect(d.io.stdout).toBe(`removed ${ws.oldFailed}\nremoved ${ws.oldPrepared}\n`);
    expect(existsSync(join(ws.oldCompleted, 'repo', 'README.md'))).toBe(true);
  });

  it('--dry-run only lists what it would remove', async () => {
    const { d, ws } = fixture();
    expect(await gc({ dryRun: true }, d)).toBe(0);
    expect(d.io.stdout).toBe(`would remove ${ws.oldCompleted}\nwould remove ${ws.oldFailed}\nwould remove ${ws.oldPrepared}\n`);
    expect(d.io.stderr).toBe('3 workspace(s) would be removed, 4 kept\n');
    for (const path of Object.values(ws)) expect(existsSync(path)).toBe(true);
  });

  it('falls back to the directory time for a workspace with no status and no record', async () => {
    const d = fakeDeps();
    const old = workspace(d, 'task-8');
    const fresh = workspace(d, 'task-9');
    const longAgo = new Date(isoAfter(-20 * DAY));
    const recently = new Date(isoAfter(-DAY));
    utimesSync(old, longAgo, longAgo);
    utimesSync(fresh, recently, recently);
    expect(await gc({ olderThan: '7d' }, d)).toBe(0);
    expect(d.io.stdout).toBe(`removed ${old}\n`);
    expect(existsSync(fresh)).toBe(true);
  });

  it('with no workspaces at all', async () => {
    const d = fakeDeps();
    expect(await gc({}, d)).toBe(0);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe('0 workspace(s) removed, 0 kept\n');
  });

  it.each(['7x', '7', 'd', '-1d', '1.5h', '7 d', ''])('refuses --older-than %j with invalid_age (exit 2)', async (age) => {
    const { d, ws } = fixture();
    expect(await cli(d, 'gc', '--older-than', age)).toBe(2);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe(`agentctl: invalid --older-than ${JSON.stringify(age)}\nhint: use a number and a unit: 30m, 12h, 7d\n`);
    for (const path of Object.values(ws)) expect(existsSync(path)).toBe(true);
  });

  it.each<[string, number]>([
    ['0s', 0],
    ['45s', 45],
    ['30m', 1800],
    ['12h', 43_200],
    ['7d', 604_800],
  ])('parseAge(%s) = %i seconds', (text, seconds) => {
    expect(parseAge(text)).toBe(seconds);
  });
});
