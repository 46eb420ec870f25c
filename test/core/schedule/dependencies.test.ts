import { describe, expect, it } from 'vitest';
import { dependencyCycle, dependencyGate, dependencyNotes, settleDependencies, type DepRun } from '../../../src/core/schedule/dependencies.js';

const run = (workspace: string, state: DepRun['state'], extra: Partial<DepRun> = {}): DepRun => ({ workspace, state, ...extra });
const byWs = (...runs: DepRun[]) => new Map(runs.map((r) => [r.workspace, r]));

describe('dependencyGate', () => {
  const cases: Array<[string, DepRun[], string[], ReturnType<typeof dependencyGate>]> = [
    ['every dependency completed', [run('a', 'completed'), run('b', 'completed', { qa: 'passed' })], ['a', 'b'], { kind: 'ready' }],
    ['QA skipped counts as not failed', [run('a', 'completed', { qa: 'skipped' })], ['a'], { kind: 'ready' }],
    ['a dependency still running', [run('a', 'running'), run('b', 'completed')], ['a', 'b'], { kind: 'waiting', on: ['a'] }],
    ['dependencies still queued and running', [run('a', 'queued'), run('b', 'running')], ['a', 'b'], { kind: 'waiting', on: ['a', 'b'] }],
    ['a dependency failed', [run('a', 'failed')], ['a'], { kind: 'failed', dependency: 'a', why: 'ended failed' }],
    ['QA of a completed dependency failed', [run('a', 'completed', { qa: 'failed' })], ['a'], { kind: 'failed', dependency: 'a', why: 'completed but its QA failed' }],
    ['a blocked dependency has not completed', [run('a', 'blocked')], ['a'], { kind: 'failed', dependency: 'a', why: 'ended blocked' }],
    ['a cancelled dependency', [run('a', 'cancelled')], ['a'], { kind: 'failed', dependency: 'a', why: 'ended cancelled' }],
    ['a failure wins over a wait', [run('a', 'running'), run('b', 'failed')], ['a', 'b'], { kind: 'failed', dependency: 'b', why: 'ended failed' }],
    ['a dependency with no run (gc removed it)', [], ['a'], { kind: 'failed', dependency: 'a', why: 'has no run' }],
    ['a dry-run workspace', [run('a', 'prepared')], ['a'], { kind: 'failed', dependency: 'a', why: 'was only prepared (a dry run), never dispatched' }],
  ];
  it.each(cases)('%s', (_name, runs, after, expected) => {
    expect(dependencyGate(after, byWs(...runs))).toEqual(expected);
  });
});

describe('settleDependencies', () => {
  it('cancels the dependants of a failed run, and theirs in turn, in one pass', () => {
    const settled = settleDependencies([
      run('c', 'queued', { after: ['b'] }),
      run('b', 'queued', { after: ['a'] }),
      run('a', 'failed'),
      run('d', 'queued', { after: ['x'] }),
      run('x', 'running'),
    ]);
    expect(settled.cancel).toEqual([
      { workspace: 'b', dependency: 'a', why: 'ended failed' },
      { workspace: 'c', dependency: 'b', why: 'ended cancelled' },
    ]);
    expect([...settled.waiting]).toEqual([['d', ['x']]]);
  });

  it('lets a run whose dependencies all completed start, and leaves runs without dependencies alone', () => {
    const settled = settleDependencies([run('a', 'completed', { qa: 'passed' }), run('b', 'queued', { after: ['a'] }), run('c', 'queued')]);
    expect(settled).toEqual({ cancel: [], waiting: new Map() });
  });

  it('touches no run that is no longer queued', () => {
    const settled = settleDependencies([run('a', 'failed'), run('b', 'running', { after: ['a'] }), run('c', 'completed', { after: ['a'] })]);
    expect(settled.cancel).toEqual([]);
  });
});

describe('dependencyCycle', () => {
  it('finds a run that would wait for itself, through others', () => {
    const runs = byWs(run('b', 'queued', { after: ['c'] }), run('c', 'queued', { after: ['a'] }));
    expect(dependencyCycle('a', ['b'], runs)).toEqual(['a', 'b', 'c', 'a']);
  });
  it('a run after itself is a cycle', () => {
    expect(dependencyCycle('a', ['a'], new Map())).toEqual(['a', 'a']);
  });
  it('a path through a run that has ended is no cycle', () => {
    const runs = byWs(run('b', 'completed', { after: ['a'] }));
    expect(dependencyCycle('a', ['b'], runs)).toBeUndefined();
  });
});

describe('dependencyNotes', () => {
  it('says what each waiting run waits for, by name and state; a run waiting for a slot is not in it', () => {
    const status = (workspace: string, state: DepRun['state'], after?: string[]) => ({ version: 1 as const, workspace, state, after, repo: 'acme/web', agent: 'a', pool: 'a', runtime: 'podman' as const, runCount: 0, warnings: [] });
    const notes = dependencyNotes(
      [status('/h/workspace/acme/web/task-1', 'running'), status('/h/workspace/acme/web/task-2', 'queued'), status('/h/workspace/acme/web/task-3', 'queued', ['/h/workspace/acme/web/task-1', '/h/workspace/acme/web/task-2'])],
      (ws) => ws.replace('/h/workspace/', ''),
    );
    expect([...notes]).toEqual([['/h/workspace/acme/web/task-3', 'waiting for 2 dependencies: acme/web/task-1 (running), acme/web/task-2 (queued)']]);
  });
});
