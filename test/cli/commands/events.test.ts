import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/events.js';
import { AgentctlError } from '../../../src/core/errors.js';
import { appendRunEvent, recordEvent, recordGlobalEvent } from '../../../src/run/events.js';
import { cli, until } from '../../fakes/command-harness.js';
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

function workspace(d: FakeDeps, slot: string): string {
  const ws = join(d.state, 'workspace', ...slot.split('/'));
  mkdirSync(join(ws, '.meta'), { recursive: true });
  mkdirSync(join(ws, 'outbox'), { recursive: true });
  return ws;
}

/** A day in the life: one run queued, started, talked, finished; a freeze; a backoff; a warning. */
function history(d: FakeDeps) {
  const ws = workspace(d, 'acme/web/task-1');
  const other = workspace(d, 'acme/api/pr-7');
  recordEvent(d.state, { type: 'queued', at: '2026-11-23T09:00:00.000Z', workspace: ws, agent: 'codex', pool: 'codex', reason: 'pool codex is at its limit (1 of 1 running)' });
  recordEvent(d.state, { type: 'started', at: '2026-11-23T09:01:00.000Z', workspace: ws, agent: 'codex', runtime: 'docker', runCount: 1, containerId: 'c1' });
  appendRunEvent(ws, { type: 'started', source: 'agent', at: '2026-11-23T09:01:02.000Z', workspace: ws, sessionId: 's-1' });
  appendRunEvent(ws, { type: 'tool', source: 'agent', at: '2026-11-23T09:01:05.000Z', workspace: ws, name: 'shell', detail: 'npm test -- --run' });
  appendRunEvent(ws, { type: 'text', source: 'agent', at: '2026-11-23T09:02:00.000Z', workspace: ws, text: 'All "green".\nDone\u001b[2J' });
  appendRunEvent(ws, { type: 'usage', source: 'agent', at: '2026-11-23T09:02:01.000Z', workspace: ws, inputTokens: 1200, outputTokens: 80, cumulative: false });
  recordGlobalEvent(d.state, { type: 'frozen', at: '2026-11-23T09:03:00.000Z' });
  recordEvent(d.state, { type: 'finished', at: '2026-11-23T09:04:00.000Z', workspace: ws, agent: 'codex', state: 'completed', exitCode: 0, qa: 'passed' });
  recordEvent(d.state, { type: 'backoff', at: '2026-11-23T09:05:00.000Z', workspace: other, pool: 'codex', pausedUntil: '2026-11-23T09:10:00.000Z' });
  recordEvent(d.state, { type: 'warning', at: '2026-11-23T09:06:00.000Z', workspace: other, message: 'could not set the label' });
  return { ws, other };
}

describe('events', () => {
  it('prints the global events as `<time> <type> <workspace> <details>`', async () => {
    const d = fakeDeps();
    history(d);
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        '2026-11-23T09:00:00.000Z queued acme/web/task-1 agent=codex pool=codex reason="pool codex is at its limit (1 of 1 running)"',
        '2026-11-23T09:01:00.000Z started acme/web/task-1 agent=codex runtime=docker runCount=1 containerId=c1',
        '2026-11-23T09:03:00.000Z frozen -',
        '2026-11-23T09:04:00.000Z finished acme/web/task-1 agent=codex state=completed exitCode=0 qa=passed',
        '2026-11-23T09:05:00.000Z backoff acme/api/pr-7 pool=codex pausedUntil=2026-11-23T09:10:00.000Z',
        '2026-11-23T09:06:00.000Z warning acme/api/pr-7 message="could not set the label"',
        '',
      ].join('\n'),
    );
    expect(d.io.stderr).toBe('');
  });

  it('--workspace prints one run’s own events, its agent’s marked agent:, escaped onto one line', async () => {
    const d = fakeDeps();
    history(d);
    expect(await run({ workspace: 'acme/web/task-1' }, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        '2026-11-23T09:00:00.000Z queued acme/web/task-1 agent=codex pool=codex reason="pool codex is at its limit (1 of 1 running)"',
        '2026-11-23T09:01:00.000Z started acme/web/task-1 agent=codex runtime=docker runCount=1 containerId=c1',
        '2026-11-23T09:01:02.000Z agent:started acme/web/task-1 sessionId=s-1',
        '2026-11-23T09:01:05.000Z agent:tool acme/web/task-1 name=shell detail="npm test -- --run"',
        '2026-11-23T09:02:00.000Z agent:text acme/web/task-1 text="All \\"green\\".\\nDone\\u001b[2J"',
        '2026-11-23T09:02:01.000Z agent:usage acme/web/task-1 inputTokens=1200 outputTokens=80 cumulative=false',
        '2026-11-23T09:04:00.000Z finished acme/web/task-1 agent=codex state=completed exitCode=0 qa=passed',
        '',
      ].join('\n'),
    );
  });

  it('--json prints each event as recorded, one object a line', async () => {
    const d = fakeDeps();
    const { ws } = history(d);
    expect(await run({ json: true, workspace: ws }, d)).toBe(0);
    const lines = d.io.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe(
      JSON.stringify({ type: 'queued', at: '2026-11-23T09:00:00.000Z', workspace: ws, agent: 'codex', pool: 'codex', reason: 'pool codex is at its limit (1 of 1 running)' }),
    );
    expect(JSON.parse(lines[4] as string)).toEqual({ type: 'text', source: 'agent', at: '2026-11-23T09:02:00.000Z', workspace: ws, text: 'All "green".\nDone\u001b[2J' });
  });

  it('says so on stderr when there are no events yet', async () => {
    const d = fakeDeps();
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe(`no events yet (${join(d.state, 'events.jsonl')})\n`);
  });

  it('skips unreadable lines with one warning, and prints a last line without its newline', async () => {
    const d = fakeDeps();
    mkdirSync(d.state, { recursive: true });
    writeFileSync(
      join(d.state, 'events.jsonl'),
      '{"type":"frozen","at":"2026-11-23T09:00:00.000Z","workspace":""}\n{"type":"half\nnot json\n[1,2]\n{"type":"thawed","at":"2026-11-23T09:01:00.000Z","workspace":""}',
    );
    expect(await run({}, d)).toBe(0);
    expect(d.io.stdout).toBe('2026-11-23T09:00:00.000Z frozen -\n2026-11-23T09:01:00.000Z thawed -\n');
    expect(d.io.stderr).toBe(`warning: skipping unreadable lines in ${join(d.state, 'events.jsonl')}\n`);
  });

  it('prints in time order what was appended out of it (an event stamped before a slow forge call, recorded after)', async () => {
    const d = fakeDeps();
    const ws = workspace(d, 'acme/web/task-1');
    recordEvent(d.state, { type: 'started', at: '2026-11-23T09:01:00.000Z', workspace: ws, agent: 'codex' });
    recordEvent(d.state, { type: 'pull-request', at: '2026-11-23T09:04:07.000Z', workspace: ws, number: 5 });
    recordEvent(d.state, { type: 'finished', at: '2026-11-23T09:04:00.000Z', workspace: ws, agent: 'codex', state: 'completed' });
    recordGlobalEvent(d.state, { type: 'frozen', at: '2026-11-23T09:00:00.000Z' });
    // Same instant: the order they were appended in.
    recordGlobalEvent(d.state, { type: 'thawed', at: '2026-11-23T09:04:00.000Z' });
    expect(await run({ json: true }, d)).toBe(0);
    expect(d.io.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['frozen', 'started', 'finished', 'thawed', 'pull-request']);
    d.io.stdout = '';
    expect(await run({ workspace: 'acme/web/task-1' }, d)).toBe(0);
    expect(d.io.stdout.trimEnd().split('\n').map((line) => line.split(' ')[1])).toEqual(['started', 'finished', 'pull-request']);
  });

  it('--follow prints what is there, then each new event as it is appended, until stopped', async () => {
    const d = fakeDeps();
    const ws = workspace(d, 'acme/web/task-1');
    const stop = new AbortController();
    // The file does not exist yet: following waits for it.
    const following = run({ follow: true }, d, { signal: stop.signal, intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    recordEvent(d.state, { type: 'queued', at: '2026-11-23T09:00:00.000Z', workspace: ws, agent: 'codex', pool: 'codex', reason: 'frozen' });
    await until(() => d.io.stdout.includes('queued'));
    // Half a line is held back until its newline arrives.
    appendFileSync(join(d.state, 'events.jsonl'), '{"type":"thawed","at":"2026-11-23T09:01:00.000Z",');
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(d.io.stdout).toBe('2026-11-23T09:00:00.000Z queued acme/web/task-1 agent=codex pool=codex reason=frozen\n');
    appendFileSync(join(d.state, 'events.jsonl'), '"workspace":""}\n');
    await until(() => d.io.stdout.includes('thawed'));
    stop.abort();
    expect(await following).toBe(0);
    expect(d.io.stdout).toBe('2026-11-23T09:00:00.000Z queued acme/web/task-1 agent=codex pool=codex reason=frozen\n2026-11-23T09:01:00.000Z thawed -\n');
    expect(d.io.stderr).toBe('');
  });

  it('is wired into the CLI: `agentctl events --json --workspace W`', async () => {
    const d = fakeDeps();
    const { ws } = history(d);
    expect(await cli(d, 'events', '--json', '--workspace', 'acme/web/task-1')).toBe(0);
    expect(d.io.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['queued', 'started', 'started', 'tool', 'text', 'usage', 'finished']);
    expect(ws).toContain('task-1');
  });

  it('refuses an unknown workspace and arguments', async () => {
    const d = fakeDeps();
    await expect(run({ workspace: 'acme/web/nope' }, d)).rejects.toMatchObject({ code: 'unknown_workspace' });
    await expect(run({ args: ['acme/web/task-1'] }, d)).rejects.toBeInstanceOf(AgentctlError);
  });
});
