// The real binary's dashboard on a real terminal: `agentctl status --watch` inside tmux, driven by
// send-keys and read by capture-pane. Runs are fabricated status files in terminal states, so no
// engine is needed. tmux comes from test/support/engines.sh in CI.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/core/run/status.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { BIN } from '../support/run-cli.js';

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const inCI = process.env.CI !== undefined && process.env.CI !== '';
if (!hasTmux && inCI) throw new Error('tmux is missing in CI: test/support/engines.sh install puts it there');

/** Our own tmux server (its own socket), so nothing here touches a tmux the user runs. */
const SOCKET = `agentctl-test-${process.pid}`;
const SESSION = 'dash';

function tmux(...args: string[]) {
  return spawnSync('tmux', ['-u', '-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

function screen(): string {
  return tmux('capture-pane', '-p', '-t', SESSION).stdout ?? '';
}

function sessionAlive(): boolean {
  return tmux('has-session', '-t', SESSION).status === 0;
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The screen line of a run. */
const lineOf = (name: string) => screen().split('\n').find((line) => line.includes(name)) ?? '';

const dirs: string[] = [];
afterAll(() => {
  if (hasTmux) tmux('kill-server');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function fabricate(state: string, slot: string, overrides: Partial<RunStatus>): string {
  const ws = join(state, 'workspace', ...slot.split('/'));
  mkdirSync(join(ws, '.meta'), { recursive: true });
  mkdirSync(join(ws, 'outbox'), { recursive: true });
  const status: RunStatus = { version: 1, state: 'completed', workspace: ws, repo: 'acme/web', agent: 'codex', pool: 'codex', runtime: 'docker', runCount: 1, warnings: [], ...overrides };
  writeFileSync(join(ws, '.meta', 'status.json'), JSON.stringify(status, null, 2));
  return ws;
}

const SKIPPED = hasTmux ? '' : ' [skipped: tmux is not installed here; apt-get install tmux, or bash test/support/engines.sh install; CI has it]';

describe('status --watch in a real terminal (tmux)', () => {
  it.skipIf(!hasTmux)(`shows the runs, moves the selection with a key, opens a log, and exits on q${SKIPPED}`, async () => {
    const home = makeTempDir('dash-tmux');
    dirs.push(home);
    const state = join(home, 'state');
    const done = fabricate(state, 'acme/web/task-1', {
      startedAt: '2026-11-23T09:00:00.000Z',
      finishedAt: '2026-11-23T09:12:30.000Z',
      qa: { state: 'passed', commands: ['npm test'], log: 'qa.log' },
      usage: { inputTokens: 12_000, outputTokens: 3_400, costUsd: 0.42 },
      progress: ['tool shell: npm test', 'All tests pass'],
    });
    writeFileSync(join(done, 'outbox', 'agent-codex.log'), 'reading the code\nwriting the fix\nthe last line of the codex log\n');
    fabricate(state, 'acme/web/task-2', {
      state: 'blocked',
      agent: 'claude',
      pool: 'claude',
      runtime: 'host',
      startedAt: '2026-11-23T09:30:00.000Z',
      finishedAt: '2026-11-23T09:31:05.000Z',
      question: 'Which database should I use?',
    });
    fabricate(state, 'acme/api/pr-7', { state: 'failed', repo: 'acme/api', startedAt: '2026-11-23T08:00:00.000Z', finishedAt: '2026-11-23T08:00:09.000Z', reason: 'agent exited with code 1' });

    // A script, so the environment is exactly ours whatever the tmux server inherited.
    const script = join(home, 'watch.sh');
    const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        `export HOME=${q(home)} XDG_CONFIG_HOME=${q(join(home, 'config'))} AGENTCTL_HOME=${q(state)} LANG=C.UTF-8 PATH=${q(process.env.PATH ?? '/usr/bin:/bin')}`,
        'unset CI NO_COLOR',
        `${q(process.execPath)} ${q(BIN)} status --watch 2>${q(join(home, 'stderr'))}`,
        `echo $? > ${q(join(home, 'exit-code'))}`,
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    const started = tmux('new-session', '-d', '-s', SESSION, '-x', '160', '-y', '40', script);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);

    // Newest finished first: task-2 (09:31), task-1 (09:12), pr-7 (08:00); the first is selected.
    await waitFor('the runs', () => screen().includes('acme/api/pr-7'));
    const first = screen();
    process.stdout.write(`dashboard in tmux:\n${first.trimEnd()}\n`);
    expect(first).toContain('0 running, 0 queued, 3 shown');
    expect(lineOf('acme/web/task-2')).toMatch(/^> acme\/web\/task-2 +claude +blocked +1m05s +- +- +Which database should I use\?/);
    expect(lineOf('acme/web/task-1')).toMatch(/^ {2}acme\/web\/task-1 +codex +completed +12m30s +\$0\.42 +passed +All tests pass/);
    expect(lineOf('acme/api/pr-7')).toMatch(/^ {2}acme\/api\/pr-7 +codex +failed +9s +- +- +agent exited with code 1/);
    expect(first).toMatch(/POOL +LIMIT +RUNNING +QUEUED +BACKOFF/);
    expect(first).toMatch(/^claude +1 +0 +0 +-/m);

    tmux('send-keys', '-t', SESSION, 'Down');
    await waitFor('the selection to move down', () => lineOf('acme/web/task-1').startsWith('>'));
    expect(lineOf('acme/web/task-2').startsWith(' ')).toBe(true);

    tmux('send-keys', '-t', SESSION, 'l');
    await waitFor('the log view', () => screen().includes('the last line of the codex log'));
    expect(screen()).toContain('log of acme/web/task-1');
    tmux('send-keys', '-t', SESSION, 'Escape');
    await waitFor('the runs again', () => lineOf('acme/web/task-1').startsWith('>'));

    tmux('send-keys', '-t', SESSION, 'q');
    await waitFor('the session to end', () => !sessionAlive());
    expect(readFileSync(join(home, 'exit-code'), 'utf8').trim()).toBe('0');
    // Nothing but terminal control (ink shows the cursor again on the way out).
    expect(readFileSync(join(home, 'stderr'), 'utf8').replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')).toBe('');
    expect(existsSync(join(state, 'state', 'supervisor.log'))).toBe(false);
  });
});
