/**
 * Unix manners: `agentctl … | head` ends quietly, with exit code 0, when
 * head has read enough and goes away. The built binary runs in a real shell
 * pipeline; its own exit code and stderr are taken apart from head's.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/git-fixtures.js';
import { BIN } from '../support/run-cli.js';

let home: string;
let state: string;

beforeAll(() => {
  home = makeTempDir('pipes');
  state = join(home, 'state');
  mkdirSync(state, { recursive: true });
  // Far more than a pipe holds (64 KiB), so agentctl is still writing when head leaves.
  const events: string[] = [];
  for (let i = 0; i < 20_000; i++) events.push(JSON.stringify({ type: 'queued', at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), workspace: '', n: i }));
  writeFileSync(join(state, 'events.jsonl'), `${events.join('\n')}\n`);
  const ws = join(state, 'workspace', 'acme', 'x', 'task-1');
  mkdirSync(join(ws, '.meta'), { recursive: true });
  mkdirSync(join(ws, 'outbox'), { recursive: true });
  writeFileSync(join(ws, 'outbox', 'agent-codex.log'), `${'the agent says something at length\n'.repeat(200_000)}`);
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

/** agentctl's own exit code and stderr, and what head printed. */
function piped(args: string[]): { code: number; stderr: string; stdout: string } {
  const err = join(home, 'stderr');
  const rc = join(home, 'rc');
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const result = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${quoted} 2>"${err}" | head -1; echo "\${PIPESTATUS[0]}" > "${rc}"`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: Number(readFileSync(rc, 'utf8').trim()), stderr: readFileSync(err, 'utf8'), stdout: result.stdout };
}

describe('a reader that goes away', () => {
  it('events | head -1: exit 0, nothing on stderr', () => {
    const result = piped(['events']);
    expect(result.stdout).toMatch(/^2026-01-01T00:00:00\.000Z queued - n=0\n$/);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('events --json | head -1: exit 0, nothing on stderr', () => {
    const result = piped(['events', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: 'queued', n: 0 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('logs WORKSPACE | head -1 of a big log: exit 0, nothing on stderr', () => {
    const result = piped(['logs', 'acme/x/task-1']);
    expect(result.stdout).toBe('the agent says something at length\n');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('events --follow | head -1 ends too, instead of following for ever', () => {
    const result = piped(['events', '--follow']);
    expect(result.stdout).toMatch(/queued - n=0\n$/);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
