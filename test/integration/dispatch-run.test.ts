import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const SECRET = `sk-test-${process.pid}-${Date.now()}-do-not-leak`;

const AGENTS = `agents:
  edit:
    command: [sh, -c, 'echo "hello from the agent" > agent.txt; echo edited']
  block:
    command: [sh, -c, 'printf "Which database should I use?\\n" > BLOCKED.md']
  fail3:
    command: [sh, -c, 'echo giving up; exit 3']
  noop:
    command: ['true']
  sleeper:
    command: [sh, -c, 'sleep 4; echo slept > slept.txt']
  secret:
    command: [sh, -c, 'echo "len=\${#SECRET_KEY}" > seen.txt; sleep 3']
    env: [SECRET_KEY]
  quiet:
    command: [sh, -c, 'echo thinking; sleep 60']
`;

let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'plain', { 'README.md': '# plain\n' });
  forge.createRepo('acme', 'node-red', {
    'package.json': '{ "name": "node-red", "private": true, "scripts": { "test": "node -e \\"process.exit(1)\\"" } }\n',
  });
  forge.createRepo('acme', 'go-green', {
    'go.mod': 'module example.com/green\n\ngo 1.19\n',
    'add.go': 'package green\n\nfunc Add(a, b int) int { return a + b }\n',
    'add_test.go': 'package green\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 2) != 4 {\n\t\tt.Fatal("math")\n\t}\n}\n',
  });
});
afterAll(() => forge.cleanup());

describe.each(engines)('dispatch on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;

  function env(): { env: Record<string, string>; state: string } {
    const home = makeTempDir(`run-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n${AGENTS}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state };
  }

  function dispatch(e: Record<string, string>, repo: string, agent: string, issue: string) {
    const result = runCli(['dispatch', '--repo', repo, '--issue', issue, '--agent', agent, '--runtime', engine.name, '--wait', '--json'], e);
    return { ...result, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }

  it('an agent that edits a file and exits 0 is completed, and the edit is in repo/', () => {
    const { env: e, state } = env();
    const result = dispatch(e, 'acme/plain', 'edit', '1');
    expect(result.code).toBe(0);
    expect(result.status?.state).toBe('completed');
    expect(result.status?.runtime).toBe(engine.name);
    expect(result.status?.qa.state).toBe('skipped');
    const ws = join(state, 'workspace', 'acme', 'plain', 'task-1');
    expect(readFileSync(join(ws, 'repo', 'agent.txt'), 'utf8')).toBe('hello from the agent\n');
    expect(readFileSync(join(ws, 'outbox', 'agent-edit.log'), 'utf8')).toMatch(/=== agentctl run 1: edit started .*\nedited\n$/);
    // The person who ran agentctl can still change what the agent wrote.
    writeFileSync(join(ws, 'repo', 'agent.txt'), 'edited by the user\n');
    expect(git(join(ws, 'repo'), 'status', '--porcelain')).toBe('?? agent.txt');
  });

  it('an agent that writes BLOCKED.md is blocked with its question (exit 11)', () => {
    const { env: e } = env();
    const result = dispatch(e, 'acme/plain', 'block', '2');
    expect(result.code).toBe(11);
    expect(result.status?.state).toBe('blocked');
    expect(result.status?.question).toBe('Which database should I use?');
  });

  it('an agent that exits 3 has failed (exit 10)', () => {
    const { env: e } = env();
    const result = dispatch(e, 'acme/plain', 'fail3', '3');
    expect(result.code).toBe(10);
    expect(result.status?.state).toBe('failed');
    expect(result.status?.reason).toBe('agent exited with code 3');
    expect(result.status?.exitCode).toBe(3);
  });

  it('a Node repo whose tests fail reports QA failed (exit 12)', () => {
    const { env: e, state } = env();
    const result = dispatch(e, 'acme/node-red', 'noop', '4');
    expect(result.code).toBe(12);
    expect(result.status?.state).toBe('completed');
    expect(result.status?.qa).toMatchObject({ state: 'failed', failedCommand: 'npm test', commands: ['npm install --no-audit --no-fund', 'npm test'] });
    expect(readFileSync(join(state, 'workspace', 'acme', 'node-red', 'task-4', '.meta', 'qa.log'), 'utf8')).toContain('$ npm test');
  });

  it('a Go repo whose tests pass reports QA passed (exit 0)', () => {
    const { env: e, state } = env();
    const result = dispatch(e, 'acme/go-green', 'noop', '5');
    expect(result.status?.qa).toMatchObject({ state: 'passed', commands: ['go build ./...', 'go vet ./...', 'go test ./... -count=1'] });
    expect(result.code).toBe(0);
    expect(readFileSync(join(state, 'workspace', 'acme', 'go-green', 'task-5', '.meta', 'qa.log'), 'utf8')).toMatch(/ok\s+example\.com\/green/);
  });

  it('without --wait returns at once, and a later status finishes the run', async () => {
    const { env: e, state } = env();
    const started = runCli(['dispatch', '--repo', 'acme/plain', '--issue', '6', '--agent', 'sleeper', '--runtime', engine.name], e);
    expect(started.code).toBe(0);
    const ws = join(state, 'workspace', 'acme', 'plain', 'task-6');
    expect(started.stdout).toBe(`${ws}\n`);
    expect(started.stderr).toContain(`follow: agentctl status ${ws}`);
    const running = JSON.parse(runCli(['status', ws, '--json'], e).stdout);
    expect(running.runs[0].state).toBe('running');
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const done = JSON.parse(runCli(['status', '--json'], e).stdout);
    expect(done.runs.map((r: { state: string }) => r.state)).toEqual(['completed']);
    expect(existsSync(join(ws, 'repo', 'slept.txt'))).toBe(true);
  });

  it('a run whose dispatching process was killed with SIGKILL is finished by status', async () => {
    const { env: e, state } = env();
    const child = spawn(process.execPath, [BIN, 'dispatch', '--repo', 'acme/plain', '--issue', '7', '--agent', 'sleeper', '--runtime', engine.name, '--wait'], {
      env: { PATH: process.env.PATH ?? '', ...e },
      stdio: 'ignore',
    });
    const statusFile = join(state, 'workspace', 'acme', 'plain', 'task-7', '.meta', 'status.json');
    const started = () => existsSync(statusFile) && JSON.parse(readFileSync(statusFile, 'utf8')).containerId !== undefined;
    const deadline = Date.now() + 30_000;
    while (!started() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(JSON.parse(readFileSync(statusFile, 'utf8')).state).toBe('running');
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const result = runCli(['status', '--json'], e);
    const [run] = JSON.parse(result.stdout).runs;
    expect(run).toMatchObject({ state: 'completed', exitCode: 0, runtime: engine.name });
  });

  it('an agent that exits 0 without changing anything is completed (no changes)', () => {
    const { env: e } = env();
    const result = dispatch(e, 'acme/plain', 'noop', '9');
    expect(result.code).toBe(0);
    expect(result.status).toMatchObject({ state: 'completed', noChanges: true });
    const table = runCli(['status'], e).stdout;
    expect(table).toContain('completed (no changes)');
  });

  it('stops an agent that prints nothing for --idle-timeout, with reason idle', () => {
    const { env: e } = env();
    const result = runCli(['dispatch', '--repo', 'acme/plain', '--issue', '10', '--agent', 'quiet', '--runtime', engine.name, '--idle-timeout', '2', '--wait', '--json'], e);
    expect(result.code).toBe(10);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ state: 'failed', reason: 'idle' });
    expect(status.hint).toContain('printed nothing for 2 s');
    expect(status.progress).toEqual(['thinking']);
  });

  it('passes a key by name: the agent sees it, no file or command line holds its value', async () => {
    const { env: e, state } = env();
    const child = spawn(process.execPath, [BIN, 'dispatch', '--repo', 'acme/plain', '--issue', '8', '--agent', 'secret', '--runtime', engine.name, '--wait', '--json'], {
      env: { PATH: process.env.PATH ?? '', ...e, SECRET_KEY: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    // While the agent runs, no process's command line may carry the value.
    const seen = join(state, 'workspace', 'acme', 'plain', 'task-8', 'repo', 'seen.txt');
    const deadline = Date.now() + 30_000;
    while (!existsSync(seen) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const leaks = readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SECRET);
        } catch {
          return false;
        }
      });
    expect(leaks).toEqual([]);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout).state).toBe('completed');
    expect(readFileSync(seen, 'utf8')).toBe(`len=${SECRET.length}\n`);
    const files = readdirSync(state, { recursive: true }).map((entry) => join(state, String(entry)));
    const holding = files.filter((file) => statSync(file).isFile() && readFileSync(file).includes(SECRET));
    expect(holding).toEqual([]);
  });
});
