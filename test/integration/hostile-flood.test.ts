import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * A scripted agent floods its log with 10 MB, then prints a claude-style
 * result line. agentctl's events stay small and say once where they stop,
 * the last line is still read at finish, and agentctl's memory stays bounded.
 */

const MB = 1024 * 1024;
const RESULT = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, num_turns: 7, result: 'Done.', total_cost_usd: 0.4321 });
const SCRIPTS = {
  // Short lines: one event per line on the old code.
  lines: `yes 'flood line of plain text, again and again' | head -c ${10 * MB}; echo '${RESULT}'`,
  // One 10 MB line without a newline.
  oneline: `yes x | tr -d '\\n' | head -c ${10 * MB}; echo; echo '${RESULT}'`,
};
/** The same run without the flood: what agentctl peaks at on this engine anyway. */
const QUIET = `echo '${RESULT}'`;
/**
 * How far above the quiet run's peak a flooded run may go. Reading the 10 MB
 * log whole, or in megabyte strings, took agentctl from ~80 MB to past 170
 * (+90). Bounded reading costs +8 to +14 MB on a local engine; over SSH each
 * look at the outbox brings the whole log back again, and the dead Buffers of
 * those copies (SSH packets, HTTP chunks, tar blocks) wait for V8, which
 * collects external memory only every ~64 MB: +42 to +48 MB measured (a quiet
 * run there peaks at ~103 MB, a flooded one at 145-151, which is why a fixed
 * 150 MB bound failed over SSH alone as well as under load).
 */
const FLOOD_SLACK = 70 * MB;

let forge: Forge;
const engines = await testEngines({ ssh: true });

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'flood', { 'README.md': '# flood\n' });
});
afterAll(() => forge.cleanup());

interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  /** The highest resident set size seen of the agentctl process, in bytes. */
  peakRss: number;
}

/** Run the built binary and watch its peak memory (VmHWM) until it exits. */
function runMeasured(args: string[], env: Record<string, string>): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakRss = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const watch = setInterval(() => {
      try {
        const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
        if (kb !== undefined) peakRss = Math.max(peakRss, Number(kb) * 1024);
      } catch {
        // exited between two looks
      }
    }, 50);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(watch);
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, peakRss });
    });
  });
}

function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(engines)('a flood of agent output on a real $label engine', (engine) => {
  if (!requireEngine(engine)) return;

  function env(): { env: Record<string, string>; state: string } {
    const home = makeTempDir(`flood-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    const agents = Object.entries({ ...SCRIPTS, quiet: QUIET })
      .map(([name, script]) => `  ${name}:\n    command: ${JSON.stringify(['sh', '-c', script])}\n`)
      .join('');
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n${engine.runtimeYaml}  image: ${TEST_IMAGE}\nqa:\n  enabled: false\nagents:\n${agents}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state };
  }

  // Measured on this engine, before the floods (issue 3; the floods take 1 and 2).
  let quietPeak = 0;
  beforeAll(async () => {
    const { env: e } = env();
    const quiet = await runMeasured(['dispatch', '--repo', 'acme/flood', '--issue', '3', '--agent', 'quiet', '--runtime', engine.name, '--wait', '--json'], e);
    expect(quiet.code, quiet.stderr).toBe(0);
    quietPeak = quiet.peakRss;
  }, 120_000);

  it.each(Object.keys(SCRIPTS).map((name, i) => [name, i + 1] as const))(
    '%s: events stay under 1 MB and say where they stop, the last line is read, memory stays bounded',
    async (agent, issue) => {
      const { env: e, state } = env();
      const result = await runMeasured(['dispatch', '--repo', 'acme/flood', '--issue', String(issue), '--agent', agent, '--runtime', engine.name, '--wait', '--json'], e);
      expect(result.code, result.stderr).toBe(0);
      const final = JSON.parse(result.stdout) as { state: string; progress: string[] };
      expect(final.state).toBe('completed');
      // The line printed after the flood made it into the status: the log was drained at finish.
      expect(final.progress.at(-1)).toContain('"total_cost_usd":0.4321');
      const ws = join(state, 'workspace', 'acme', 'flood', `task-${issue}`);
      expect(statSync(workspaceLayout(ws).events).size).toBeLessThan(MB);
      expect(statSync(join(state, 'events.jsonl')).size).toBeLessThan(MB);
      const events = jsonLines(workspaceLayout(ws).events);
      const cuts = events.filter((event) => event.type === 'output-cut');
      if (agent === 'lines') {
        // The lines' events reached the run's cap: one event says from which byte on the output is not in them.
        expect(cuts).toHaveLength(1);
        expect(cuts[0]?.offset).toEqual(expect.any(Number));
      } else {
        // One huge line is cut into a few clipped pieces (ending in …) and stays under the cap.
        expect(cuts).toHaveLength(0);
        expect(events.some((event) => typeof event.text === 'string' && event.text.endsWith('…'))).toBe(true);
      }
      expect(quietPeak).toBeGreaterThan(0);
      expect(result.peakRss - quietPeak, `peak ${result.peakRss} bytes, quiet run ${quietPeak}`).toBeLessThan(FLOOD_SLACK);
    },
    120_000,
  );
});
