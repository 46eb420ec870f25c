import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SETUP_FAILED_EXIT, wrapContainerArgv, wrapHostArgv, wrapQaArgv } from '../../../src/core/run/wrap-argv.js';
import { makeTempDir } from '../../support/git-fixtures.js';
import { CONTAINER_SCRIPT, HOST_SCRIPT } from '../../support/wrapper-scripts.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  dirs.push(dir);
  return dir;
}

const QA_SCRIPT =
  '(for c in "$@"; do printf \'\\n$ %s\\n\' "$c"; sh -c "$c" < /dev/null || { code=$?; printf %s "$c" > "$AGENTCTL_QA_FAILED"; exit $code; }; done) >> "$AGENTCTL_QA_LOG" 2>&1';

const HOSTILE = ['$(touch pwned)', 'it\'s "quoted" `touch pwned2`', 'line one\nline two', '; touch pwned3 #', ' spaced  ', ''];

function sh(argv: string[], cwd: string, input?: string) {
  const [file, ...args] = argv as [string, ...string[]];
  return spawnSync(file, args, { cwd, encoding: 'utf8', input, env: { PATH: process.env.PATH } });
}

describe('wrapContainerArgv', () => {
  const ENV = ['env', 'AGENTCTL_LOG=/workspace/.meta/agent-codex.log'];
  const EXIT = 'AGENTCTL_EXIT=/workspace/.meta/exit-code';

  it.each<[string, string[], string | undefined, string[]]>([
    [
      'stdin from the prompt file',
      ['codex', 'exec', '-'],
      '/workspace/.meta/prompt.md',
      [...ENV, 'AGENTCTL_STDIN=/workspace/.meta/prompt.md', EXIT, 'sh', '-c', CONTAINER_SCRIPT, 'agentctl-run', 'codex', 'exec', '-'],
    ],
    [
      'no stdin: /dev/null, hostile args kept as separate elements',
      ['codex', 'exec', '--', ...HOSTILE],
      undefined,
      [...ENV, 'AGENTCTL_STDIN=/dev/null', EXIT, 'sh', '-c', CONTAINER_SCRIPT, 'agentctl-run', 'codex', 'exec', '--', ...HOSTILE],
    ],
  ])('%s', (_name, argv, stdin, expected) => {
    expect(wrapContainerArgv(argv, { log: '/workspace/.meta/agent-codex.log', stdin, exitCode: '/workspace/.meta/exit-code' })).toEqual(expected);
  });

  it('runs under real sh: output to the log, stdin from the file, exit code passed on and recorded, arguments untouched', () => {
    const dir = tempDir('wrap-container');
    const log = join(dir, 'agent.log');
    const prompt = join(dir, 'prompt.md');
    const exitCode = join(dir, 'exit-code');
    writeFileSync(log, 'earlier\n');
    writeFileSync(prompt, 'the prompt\n');
    const result = sh(wrapContainerArgv(['sh', '-c', 'cat; printf "%s|" "$@"; echo oops >&2; exit 7', 'inner', ...HOSTILE], { log, stdin: prompt, exitCode }), dir);
    expect(result.status).toBe(7);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('');
    expect(readFileSync(log, 'utf8')).toBe(`earlier\nthe prompt\n${HOSTILE.join('|')}|oops\n`);
    expect(readFileSync(exitCode, 'utf8')).toBe('7\n');
    expect(readdirSync(dir).sort()).toEqual(['agent.log', 'exit-code', 'prompt.md']);
  });

  it('records 97 and never starts the agent when the setup command fails', () => {
    const dir = tempDir('wrap-container-setup');
    const files = { log: join(dir, 'agent.log'), stdin: undefined, exitCode: join(dir, 'exit-code'), setup: 'echo setting up; exit 4' };
    const result = sh(wrapContainerArgv(['touch', join(dir, 'agent-ran')], files), dir);
    expect(result.status).toBe(SETUP_FAILED_EXIT);
    expect(readFileSync(files.log, 'utf8')).toBe('setting up\n');
    expect(readFileSync(files.exitCode, 'utf8')).toBe(`${SETUP_FAILED_EXIT}\n`);
    expect(existsSync(join(dir, 'agent-ran'))).toBe(false);
  });

  it.each<[string, string, number]>([
    // Each says it is up a moment after it starts, so the wrapper has long since learnt its pid (a stop within
    // microseconds of the start is lost: see the wrapper).
    ['an agent that handles it exits its own way', 'trap \'kill $!; exit 5\' TERM; sleep 30 & sleep 0.2; echo waiting; wait', 5],
    ['an agent that does not dies of it', 'sleep 0.2; echo waiting; exec sleep 30', 143],
  ])('passes SIGTERM on to the agent (the engine stops PID 1): %s', async (_name, agent, code) => {
    const dir = tempDir('wrap-container-term');
    const files = { log: join(dir, 'agent.log'), stdin: undefined, exitCode: join(dir, 'exit-code') };
    const [file, ...args] = wrapContainerArgv(['sh', '-c', agent], files) as [string, ...string[]];
    const child = spawn(file, args, { cwd: dir, stdio: 'ignore' });
    // Signal once the agent is up (its first line is in the log), so the wrapper is waiting on it.
    const deadline = Date.now() + 10_000;
    while ((!existsSync(files.log) || readFileSync(files.log, 'utf8') === '') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill('SIGTERM');
    const [status] = (await once(child, 'exit')) as [number | null];
    expect(status).toBe(code);
    expect(readFileSync(files.exitCode, 'utf8')).toBe(`${code}\n`);
  });
});

describe('wrapHostArgv', () => {
  const paths = { log: '/ws/.meta/agent-claude.log', exitCode: '/ws/.meta/exit-code', pid: '/ws/.meta/pid' };

  it.each<[string, string[], string | undefined, string[]]>([
    [
      'prompt on stdin',
      ['claude', '-p'],
      '/ws/.meta/prompt.md',
      ['env', 'AGENTCTL_LOG=/ws/.meta/agent-claude.log', 'AGENTCTL_STDIN=/ws/.meta/prompt.md', 'AGENTCTL_EXIT=/ws/.meta/exit-code', 'AGENTCTL_PID=/ws/.meta/pid', 'sh', '-c', HOST_SCRIPT, 'agentctl-run', 'claude', '-p'],
    ],
    [
      'no stdin',
      ['claude', '-p', ...HOSTILE],
      undefined,
      ['env', 'AGENTCTL_LOG=/ws/.meta/agent-claude.log', 'AGENTCTL_STDIN=/dev/null', 'AGENTCTL_EXIT=/ws/.meta/exit-code', 'AGENTCTL_PID=/ws/.meta/pid', 'sh', '-c', HOST_SCRIPT, 'agentctl-run', 'claude', '-p', ...HOSTILE],
    ],
  ])('%s', (_name, argv, stdin, expected) => {
    expect(wrapHostArgv(argv, { ...paths, stdin })).toEqual(expected);
  });

  it('logs stdout and stderr and writes the agent exit code (7) to the exit-code file', () => {
    const dir = tempDir('wrap-host');
    const files = { log: join(dir, 'agent.log'), exitCode: join(dir, 'exit-code'), pid: join(dir, 'pid'), stdin: undefined };
    const result = sh(wrapHostArgv(['sh', '-c', 'echo to-stdout; echo to-stderr >&2; cat; exit 7'], files), dir, 'not for the agent');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('');
    expect(readFileSync(files.log, 'utf8')).toBe('to-stdout\nto-stderr\n');
    expect(readFileSync(files.exitCode, 'utf8')).toBe('7\n');
    expect(readdirSync(dir).sort()).toEqual(['agent.log', 'exit-code', 'pid']);
  });

  it('records exit 0 and feeds the prompt file on stdin', () => {
    const dir = tempDir('wrap-host-stdin');
    const prompt = join(dir, 'prompt.md');
    writeFileSync(prompt, 'Fix issue 9\nplease\n');
    const files = { log: join(dir, 'agent.log'), exitCode: join(dir, 'exit-code'), pid: join(dir, 'pid'), stdin: prompt };
    const result = sh(wrapHostArgv(['cat'], files), dir);
    expect(result.status).toBe(0);
    expect(readFileSync(files.log, 'utf8')).toBe('Fix issue 9\nplease\n');
    expect(readFileSync(files.exitCode, 'utf8')).toBe('0\n');
  });

  it("passes hostile arguments to printf '%s\\n' unchanged and runs none of them", () => {
    const dir = tempDir('wrap-host-hostile');
    const files = { log: join(dir, 'agent.log'), exitCode: join(dir, 'exit-code'), pid: join(dir, 'pid'), stdin: undefined };
    const result = sh(wrapHostArgv(['printf', '%s\n', ...HOSTILE], files), dir);
    expect(result.status).toBe(0);
    expect(readFileSync(files.log, 'utf8')).toBe(HOSTILE.map((arg) => `${arg}\n`).join(''));
    expect(readFileSync(files.exitCode, 'utf8')).toBe('0\n');
    for (const name of ['pwned', 'pwned2', 'pwned3']) expect(existsSync(join(dir, name))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['agent.log', 'exit-code', 'pid']);
  });
});

describe('wrapQaArgv', () => {
  it('builds the exact argv', () => {
    expect(wrapQaArgv(['npm ci', 'npm test'], { log: '/ws/.meta/qa.log', failed: '/ws/.meta/qa-failed-command' })).toEqual([
      'env',
      'AGENTCTL_QA_FAILED=/ws/.meta/qa-failed-command',
      'AGENTCTL_QA_LOG=/ws/.meta/qa.log',
      'sh',
      '-c',
      QA_SCRIPT,
      'agentctl-qa',
      'npm ci',
      'npm test',
    ]);
  });

  it.each<[string, string[], number, string, string | undefined]>([
    ['all pass', ['echo one', 'echo two >&2'], 0, '\n$ echo one\none\n\n$ echo two >&2\ntwo\n', undefined],
    ['stops at the first failure and records it', ['echo one', 'echo bad; exit 3', 'touch ran-after-failure'], 3, '\n$ echo one\none\n\n$ echo bad; exit 3\nbad\n', 'echo bad; exit 3'],
    ['a failing first command', ['false', 'echo never'], 1, '\n$ false\n', 'false'],
    ['commands do not read our stdin', ['cat', 'echo after'], 0, '\n$ cat\n\n$ echo after\nafter\n', undefined],
  ])('under real sh: %s', (_name, commands, code, log, failed) => {
    const dir = tempDir('wrap-qa');
    const paths = { log: join(dir, 'qa.log'), failed: join(dir, 'qa-failed-command') };
    writeFileSync(paths.log, '# QA from test\n');
    const result = sh(wrapQaArgv(commands, paths), dir, 'stdin must not reach QA\n');
    expect(result.status).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('');
    expect(readFileSync(paths.log, 'utf8')).toBe(`# QA from test\n${log}`);
    expect(existsSync(join(dir, 'ran-after-failure'))).toBe(false);
    if (failed === undefined) expect(existsSync(paths.failed)).toBe(false);
    else expect(readFileSync(paths.failed, 'utf8')).toBe(failed);
  });
});
