import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/logs.js';
import type { RunStatus } from '../../../src/core/run/status.js';
import { cli, until } from '../../fakes/command-harness.js';
import { fakeDeps as makeDeps, type FakeDeps } from '../../fakes/fake-deps.js';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function fakeDeps(options: { isTTY?: boolean } = {}): FakeDeps {
  const d = makeDeps(options);
  homes.push(d.home);
  return d;
}

function setStatus(ws: string, overrides: Partial<RunStatus>): void {
  const status: RunStatus = { version: 1, state: 'running', workspace: ws, repo: 'acme/web', agent: 'codex', pool: 'codex', runtime: 'docker', runCount: 1, warnings: [], ...overrides };
  writeFileSync(join(ws, '.meta', 'status.json'), JSON.stringify(status));
}

function workspace(d: FakeDeps, overrides: Partial<RunStatus> = {}, slot = 'acme/web/task-1'): string {
  const ws = join(d.state, 'workspace', ...slot.split('/'));
  mkdirSync(join(ws, '.meta'), { recursive: true });
  mkdirSync(join(ws, 'outbox'), { recursive: true });
  setStatus(ws, overrides);
  return ws;
}

const LOG = '=== agentctl run 1: codex started 2026-11-23T09:00:00.000Z ===\nreading src/app.ts\n\u001b[32mtests pass\u001b[0m\r\nno newline at the end';

describe('logs', () => {
  it('--raw prints the agent log as written when stdout is not a terminal', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'completed' });
    writeFileSync(join(ws, 'outbox', 'agent-codex.log'), LOG);
    expect(await run({ args: ['acme/web/task-1'], raw: true }, d)).toBe(0);
    expect(d.io.stdout).toBe(
      '=== agentctl run 1: codex started 2026-11-23T09:00:00.000Z ===\nreading src/app.ts\n\u001b[32mtests pass\u001b[0m\nno newline at the end\n',
    );
    expect(d.io.stderr).toBe('');
  });

  it('drops escape sequences and control characters on a terminal', async () => {
    const d = fakeDeps({ isTTY: true });
    const ws = workspace(d, { state: 'completed' });
    writeFileSync(join(ws, 'outbox', 'agent-codex.log'), 'a\u001b]0;pwned\u0007b\tc\u0007\n\u001b[2Jcleared?\n');
    expect(await run({ args: [ws], raw: true }, d)).toBe(0);
    expect(d.io.stdout).toBe('ab  c\ncleared?\n');
  });

  const CLAUDE_LOG = [
    '=== agentctl run 1: claude started 2026-11-23T09:00:00.000Z ===',
    JSON.stringify({ type: 'system', subtype: 'init', session_id: 'sess-1', model: 'sonnet' }),
    JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: 'I will run the tests.' }, { type: 'tool_use', name: 'Bash', input: { command: 'npm test' } }] } }),
    JSON.stringify({ type: 'result', subtype: 'success', is_error: false, num_turns: 2, total_cost_usd: 0.05, session_id: 'sess-1', permission_denials: [{ tool_name: 'WebFetch' }] }),
    '',
  ].join('\n');

  it('shows a claude log as the text and tool lines parsed from its events, not JSON', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'completed', agent: 'claude', pool: 'claude' });
    writeFileSync(join(ws, 'outbox', 'agent-claude.log'), CLAUDE_LOG);
    expect(await run({ args: [ws] }, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        '=== agentctl run 1: claude started 2026-11-23T09:00:00.000Z ===',
        '== started (sonnet), session sess-1',
        'I will run the tests.',
        '→ Bash npm test',
        '== done, 2 turns, $0.05, denied: WebFetch',
        '',
      ].join('\n'),
    );
  });

  it('--raw shows the claude log as the agent wrote it', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'completed', agent: 'claude', pool: 'claude' });
    writeFileSync(join(ws, 'outbox', 'agent-claude.log'), CLAUDE_LOG);
    expect(await run({ args: [ws], raw: true }, d)).toBe(0);
    expect(d.io.stdout).toBe(CLAUDE_LOG);
  });

  it('-f follows a claude run as parsed lines', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'running', agent: 'claude', pool: 'claude' });
    const log = join(ws, 'outbox', 'agent-claude.log');
    writeFileSync(log, `${CLAUDE_LOG.split('\n').slice(0, 3).join('\n')}\n`);
    const controller = new AbortController();
    const following = run({ args: [ws], follow: true }, d, { signal: controller.signal, intervalMs: 10 });
    await until(() => d.io.stdout.includes('→ Bash npm test'));
    appendFileSync(log, `${CLAUDE_LOG.split('\n')[3]}\n`);
    setStatus(ws, { state: 'completed', agent: 'claude', pool: 'claude' });
    expect(await following).toBe(0);
    expect(d.io.stdout).not.toContain('{"type"');
    expect(d.io.stdout).toContain('== done, 2 turns, $0.05, denied: WebFetch\n');
  });

  it('--json prints {"line"} per line, and finds the log of an agent with a model', async () => {
    const d = fakeDeps({ isTTY: true });
    const ws = workspace(d, { state: 'failed', agent: 'claude:opus', pool: 'claude', runtime: 'host' });
    writeFileSync(join(ws, 'outbox', 'agent-claude.log'), '{"type":"system"}\n\u001b[1mbold\n');
    expect(await run({ args: ['acme/web/task-1'], json: true }, d)).toBe(0);
    expect(d.io.stdout).toBe('{"line":"{\\"type\\":\\"system\\"}"}\n{"line":"\\u001b[1mbold"}\n');
  });

  it('takes the newest agent-*.log when the status names no log that exists', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'completed', agent: 'gemini' });
    writeFileSync(join(ws, 'outbox', 'agent-custom.log'), 'from custom\n');
    expect(await run({ args: ['acme/web/task-1'] }, d)).toBe(0);
    expect(d.io.stdout).toBe('from custom\n');
  });

  it.each<[string, Partial<RunStatus>, Record<string, unknown>]>([
    ['a dry run', { state: 'prepared' }, { code: 'no_log', hint: 'a dry run starts no agent; dispatch without --dry-run to run one' }],
    ['a queued run', { state: 'queued' }, { code: 'no_log', hint: '"agentctl logs -f acme/web/task-1" waits for it to start and follows it' }],
  ])('has no log for %s', async (_title, overrides, error) => {
    const d = fakeDeps();
    const ws = workspace(d, overrides);
    await expect(run({ args: ['acme/web/task-1'] }, d)).rejects.toMatchObject({
      ...error,
      message: `no agent log in ${ws} yet: the run is ${overrides.state}`,
    });
  });

  it('refuses an unknown workspace', async () => {
    const d = fakeDeps();
    await expect(run({ args: ['acme/web/nope'] }, d)).rejects.toMatchObject({ code: 'unknown_workspace' });
  });

  it('-f follows new output live and stops once the run has ended and its log is printed', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'running' });
    const log = join(ws, 'outbox', 'agent-codex.log');
    writeFileSync(log, 'first\n');
    const following = run({ args: ['acme/web/task-1'], follow: true }, d, { intervalMs: 10 });
    await until(() => d.io.stdout === 'first\n');
    appendFileSync(log, 'second\nhalf ');
    await until(() => d.io.stdout === 'first\nsecond\n');
    appendFileSync(log, 'a line\n');
    await until(() => d.io.stdout === 'first\nsecond\nhalf a line\n');
    // The agent writes its last words and ends; the run is finished.
    appendFileSync(log, 'bye');
    setStatus(ws, { state: 'completed', finishedAt: '2026-11-23T10:00:00.000Z' });
    expect(await following).toBe(0);
    expect(d.io.stdout).toBe('first\nsecond\nhalf a line\nbye\n');
    expect(d.io.stderr).toBe('the run is completed\n');
  });

  it('-f on a queued run waits for its log to appear', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'queued' });
    const following = run({ args: [ws], follow: true, json: true }, d, { intervalMs: 10 });
    await until(() => d.io.stderr.includes('waiting'));
    setStatus(ws, { state: 'running' });
    writeFileSync(join(ws, 'outbox', 'agent-codex.log'), 'started\n');
    await until(() => d.io.stdout === '{"line":"started"}\n');
    setStatus(ws, { state: 'blocked', question: 'Which one?' });
    expect(await following).toBe(0);
    expect(d.io.stderr).toBe(`waiting for the run in ${ws} to start…\nthe run is blocked\n`);
  });

  it('-f stops when its signal aborts (Ctrl-C), printing what it has', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'running' });
    writeFileSync(join(ws, 'outbox', 'agent-codex.log'), 'working\nstill ');
    const stop = new AbortController();
    const following = run({ args: ['acme/web/task-1'], follow: true }, d, { signal: stop.signal, intervalMs: 10 });
    await until(() => d.io.stdout === 'working\n');
    stop.abort();
    expect(await following).toBe(0);
    expect(d.io.stdout).toBe('working\nstill \n');
    expect(d.io.stderr).toBe('');
  });

  it('is wired into the CLI: `agentctl logs -f` on a finished run prints it and returns', async () => {
    const d = fakeDeps();
    const ws = workspace(d, { state: 'completed' });
    writeFileSync(join(ws, 'outbox', 'agent-codex.log'), 'done\n');
    expect(await cli(d, 'logs', '-f', 'acme/web/task-1')).toBe(0);
    expect(d.io.stdout).toBe('done\n');
    expect(d.io.stderr).toBe('the run is completed\n');
  });
});
