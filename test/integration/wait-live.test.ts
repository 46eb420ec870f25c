// `dispatch --wait` as a person sees it, through the built binary on real engines: on a terminal
// (under util-linux `script`, which gives the process a pty) a live status line; off one, timestamped
// phase lines; a frozen queue said at once, and --wait-timeout ending the wait but not the run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const AGENTS = `agents:
  talk:
    command: [sh, -c, 'echo reading the code; sleep 2; echo writing the fix; echo fixed > fix.txt; sleep 2']
  long:
    command: [sh, -c, 'sleep 120']
`;

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'q', { 'README.md': '# q\n' });
});
afterAll(() => forge.cleanup());

/** What a terminal shows of a transcript: each \r-rewritten live line as one entry, escape codes and times normalised. */
function screenLines(transcript: string): string[] {
  return transcript
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\u001b\[2K/g, '').replace(/\u001b\[[0-9;]*m/g, ''))
    .filter((line) => line.trim() !== '');
}

const sh = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

describe.each(engines)('--wait on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;

  function env(): { env: Record<string, string>; state: string } {
    const home = makeTempDir(`wait-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n${AGENTS}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url }, state };
  }

  it('off a terminal: timestamped phase lines on stderr, then the summary on stdout', () => {
    const { env: e, state } = env();
    const result = runCli(['dispatch', '--repo', 'acme/q', '--issue', '1', '--agent', 'talk', '--runtime', engine.name, '--wait'], e);
    expect(result.code).toBe(0);
    const ws = join(state, 'workspace', 'acme', 'q', 'task-1');
    const lines = result.stderr.split('\n');
    expect(lines.map((line) => line.replace(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] /, '[T] ').replace(/container [0-9a-f]{12}/, 'container ID'))).toEqual([
      '[T] preparing: acme/q issue 1',
      '[T] starting: talk on acme/q (issue #1)',
      `[T] started talk on acme/q (issue #1) in ${engine.name} container ID`,
      '',
    ]);
    expect(result.stdout.split('\n')).toEqual([
      'completed: talk on acme/q',
      'not pushed: push was not asked for (--push, or defaults.push in the config)',
      `QA: skipped (no go.mod, composer.json or package.json; set repos.<org/name>.qa to run QA); log ${ws}/.meta/qa.log`,
      `workspace: ${ws}`,
      '',
    ]);
  }, 120_000);

  it.skipIf(!hasScript)('on a terminal: one live line with the phase, elapsed time and what the agent says, then the summary', () => {
    const { env: e } = env();
    const command = [process.execPath, BIN, 'dispatch', '--repo', 'acme/q', '--issue', '2', '--agent', 'talk', '--runtime', engine.name, '--wait'].map(sh).join(' ');
    const run = spawnSync('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm', NO_COLOR: '1', ...e },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stdout).toBe(0);
    // The live line is rewritten in place (carriage return, erase line), never scrolled.
    expect(run.stdout).toMatch(/\r\u001b\[2Krunning \d+s/);
    const lines = screenLines(run.stdout);
    // Line by line, with times and ids normalised, each redraw of the same text counted once, and the
    // lines that depend on timing (a clone's progress steps, "running" before the agent said anything) left out.
    const seen = lines
      .map((line) => line.replace(/running \d+s/, 'running Ns').replace(/container [0-9a-f]{12}/, 'container ID').replace(/\/tmp\/\S+\/task-2/, 'WS'))
      .filter((line) => !line.startsWith('cloning: ') && !/^running( Ns)?$/.test(line))
      .filter((line, i, all) => line !== all[i - 1]);
    expect(seen).toEqual([
      'preparing: acme/q issue 2',
      'starting: talk on acme/q (issue #2)',
      `started talk on acme/q (issue #2) in ${engine.name} container ID`,
      'running Ns · reading the code',
      'running Ns · writing the fix',
      'completed: talk on acme/q',
      'not pushed: push was not asked for (--push, or defaults.push in the config)',
      'QA: skipped (no go.mod, composer.json or package.json; set repos.<org/name>.qa to run QA); log WS/.meta/qa.log',
      'workspace: WS',
    ]);
  }, 120_000);

  it('on a frozen queue says so at once, and --wait-timeout ends the wait (exit 14) while the run stays queued', () => {
    const { env: e } = env();
    expect(runCli(['freeze'], e).code).toBe(0);
    const started = Date.now();
    const result = runCli(['dispatch', '--repo', 'acme/q', '--issue', '3', '--agent', 'long', '--runtime', engine.name, '--wait', '--wait-timeout', '2'], e);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result.code).toBe(14);
    expect(result.stderr).toMatch(/\] queued long on acme\/q \(issue #3\): agentctl is frozen; "agentctl thaw" resumes starting runs\n/);
    expect(result.stderr).toMatch(/still queued after --wait-timeout 2 s; it goes on without this wait/);
    expect(result.stderr).toMatch(/agentctl logs -f /);
    const status = JSON.parse(runCli(['status', '--json'], e).stdout) as { runs: Array<{ state: string; waitingFor: string }> };
    expect(status.runs.map((r) => [r.state, r.waitingFor])).toEqual([['queued', 'agentctl is frozen; "agentctl thaw" resumes starting runs']]);
    // Thawed and cancelled, so no agent outlives the test.
    expect(runCli(['cancel', 'acme/q/task-3'], e).code).toBe(0);
  }, 120_000);
});
