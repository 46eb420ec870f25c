/**
 * The global event log has several writers at once (the supervisor, each
 * dispatcher, cancel), and each stamps an event before it appends it, maybe
 * after a forge call. Two processes append that way at the same time here;
 * `agentctl events` (the built binary) prints them in time order all the same.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';

const home = makeTempDir('event-order');
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A writer as agentctl's are: stamp the event, wait a little (a forge call), append one line. */
const WRITER = `
const { appendFileSync } = require('node:fs');
const [path, name, count] = process.argv.slice(1);
let i = 0;
const next = () => {
  if (i === Number(count)) return;
  const at = new Date().toISOString();
  const n = i++;
  setTimeout(() => {
    appendFileSync(path, JSON.stringify({ type: 'tick', at, workspace: '', writer: name, n }) + '\\n');
    next();
  }, Math.floor(Math.random() * 8));
};
next();
`;

function writer(path: string, name: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', WRITER, path, name, String(count)], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? -1));
  });
}

describe('events from two processes appending at once', () => {
  it('come out of `agentctl events` in time order, every one of them', async () => {
    const state = join(home, 'state');
    mkdirSync(state, { recursive: true });
    const log = join(state, 'events.jsonl');
    expect(await Promise.all([writer(log, 'a', 200), writer(log, 'b', 200)])).toEqual([0, 0]);

    const result = runCli(['events', '--json'], { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state });
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { at: string; writer: string; n: number });
    expect(events).toHaveLength(400);
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    // Each writer's own events keep their order.
    for (const name of ['a', 'b']) {
      const own = events.filter((e) => e.writer === name).map((e) => e.n);
      expect(own).toEqual([...own].sort((x, y) => x - y));
    }
  });
});
