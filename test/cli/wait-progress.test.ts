import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/core/run/status.js';
import { processIO } from '../../src/cli/io.js';
import { waitReporter } from '../../src/cli/wait-progress.js';
import { fakeIO } from '../fakes/fake-io.js';

let now = new Date('2026-11-23T10:00:00.000Z');
const clock = { now: () => now };
const later = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));

function status(overrides: Partial<RunStatus>): RunStatus {
  return { version: 1, state: 'running', workspace: '/ws', repo: 'acme/web', agent: 'claude', pool: 'claude', runtime: 'docker', runCount: 1, warnings: [], ...overrides };
}

function play(io: ReturnType<typeof fakeIO>, json = false): void {
  now = new Date('2026-11-23T10:00:00.000Z');
  const r = waitReporter(io, clock, json);
  r.phase('preparing', 'acme/web issue 9');
  later(2);
  r.announce('queued', 'queued claude on acme/web (issue #9): pool claude is at its limit (1 of 1 running)', 'pool claude is at its limit (1 of 1 running)');
  r.note('warning: a note between phases');
  r.observe(status({ state: 'queued', waitingFor: 'pool claude is at its limit (1 of 1 running)' }));
  r.observe(status({ state: 'queued', waitingFor: 'pool claude is at its limit (1 of 1 running)' }), 'agentctl is frozen; "agentctl thaw" resumes starting runs');
  later(5);
  r.observe(status({ startedAt: now.toISOString() }));
  r.observe(status({ startedAt: now.toISOString(), containerId: 'abcdef0123456789' }));
  later(65);
  r.observe(
    status({ startedAt: new Date(now.getTime() - 65_000).toISOString(), containerId: 'abcdef0123456789', usage: { inputTokens: 1, outputTokens: 1, costUsd: 0.125 }, turns: 4, progress: ['tool Bash: npm test', 'Fixing \u001b[31mthe\u001b[0m test'] }),
  );
  r.close();
}

describe('waitReporter', () => {
  it('off a terminal: one timestamped line per phase (and per change of why it waits), no live tail', () => {
    const io = fakeIO();
    play(io);
    expect(io.statusLines).toEqual([]);
    expect(io.stderr.split('\n')).toEqual([
      '[2026-11-23T10:00:00Z] preparing: acme/web issue 9',
      '[2026-11-23T10:00:02Z] queued claude on acme/web (issue #9): pool claude is at its limit (1 of 1 running)',
      'warning: a note between phases',
      '[2026-11-23T10:00:02Z] queued: agentctl is frozen; "agentctl thaw" resumes starting runs',
      '[2026-11-23T10:00:07Z] starting',
      '[2026-11-23T10:00:07Z] running: claude in docker container abcdef012345',
      '',
    ]);
  });

  it('on a terminal: one live line with phase, elapsed time, cost, turns and the parsed tail, cleared at the end', () => {
    const io = fakeIO({ stderrIsTTY: true });
    play(io);
    expect(io.stderr).toBe('queued claude on acme/web (issue #9): pool claude is at its limit (1 of 1 running)\nwarning: a note between phases\n');
    expect(io.statusLines).toEqual([
      'preparing: acme/web issue 9',
      '',
      'queued: pool claude is at its limit (1 of 1 running)',
      '',
      'queued: pool claude is at its limit (1 of 1 running)',
      'queued: pool claude is at its limit (1 of 1 running)',
      'queued: agentctl is frozen; "agentctl thaw" resumes starting runs',
      'starting',
      'running 0s',
      'running 1m05s · $0.13 · 4 turns · Fixing the test',
      '',
    ]);
  });

  it('with --json on a terminal: plain phase lines, no live line', () => {
    const io = fakeIO({ stderrIsTTY: true });
    play(io, true);
    expect(io.statusLines).toEqual([]);
    expect(io.stderr).toContain('[2026-11-23T10:00:07Z] running: claude in docker container abcdef012345\n');
  });

  it("never lets the agent's escape sequences reach the terminal, and keeps the line to one row", () => {
    const io = fakeIO({ stderrIsTTY: true });
    play(io);
    for (const line of io.statusLines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    const written: string[] = [];
    const stream = (isTTY: boolean, columns: number) => ({ isTTY, columns, write: (text: string) => written.push(text) });
    const proc = { stdout: stream(false, 0), stderr: stream(true, 21), stdin: {} } as unknown as NodeJS.Process;
    processIO(proc).statusLine?.('running 5s · \u001b]0;title\u0007a very long line of agent text');
    expect(written).toEqual(['\r\u001b[2Krunning 5s · a very ']);
    expect(processIO({ ...proc, stderr: stream(false, 80) } as unknown as NodeJS.Process).statusLine).toBeUndefined();
  });
});

describe('notes that carry names an agent chose', () => {
  it('reach the terminal without escape sequences or control characters', () => {
    const io = fakeIO();
    const r = waitReporter(io, clock, false);
    r.note('warning: skipped "\u001b]0;owned\u0007evil\u001b[2Jname\r" from the outbox');
    r.close();
    expect(io.stderr).toBe('warning: skipped "evilname" from the outbox\n');
  });
});
