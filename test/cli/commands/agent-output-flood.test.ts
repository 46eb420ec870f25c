import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { outboxFiles, workspaceLayout } from '../../../src/core/workspace/layout.js';
import { jsonLines, useCommandHarness } from '../../fakes/command-harness.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';

/**
 * An agent that floods its log: what agentctl keeps of it stays small, the
 * point where the events stop is recorded once, and the run's final result
 * and cost are still found, however much came before them.
 */

const h = withCliVersions(useCommandHarness());
const MB = 1024 * 1024;
const RESULT = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, num_turns: 7, result: 'Done.', session_id: 's-1', total_cost_usd: 0.4321, usage: { input_tokens: 10, output_tokens: 20 } });

/** The claude log, in the outbox where this version keeps it, else in .meta. */
function claudeLog(ws: string): string {
  const outbox = outboxFiles(workspaceLayout(ws).outbox, 'claude').log;
  return existsSync(outbox) ? outbox : join(workspaceLayout(ws).meta, 'agent-claude.log');
}

/** About `bytes` of short plain lines, written in pieces so the test itself stays small in memory. */
function appendLines(path: string, bytes: number): void {
  const line = 'flood line of plain text that goes on for a while, again and again\n';
  const piece = line.repeat(Math.ceil(MB / line.length));
  // Whole lines only, so what is appended next starts a line of its own.
  for (let written = 0; written < bytes; written += piece.length) appendFileSync(path, piece.slice(0, Math.ceil((bytes - written) / line.length) * line.length));
}

async function floodRun(write: (log: string) => void): Promise<{ final: Record<string, any>; ws: string; home: string }> {
  const registry = fakeRegistry([]);
  const d = h.setup(registry, { config: 'agents:\n  claude:\n    host: true\n' });
  const ws = h.workspaceOf(d, 'task-1');
  expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude' }, d)).toBe(0);
  write(claudeLog(ws));
  writeFileSync(join(ws, 'repo', 'fix.txt'), 'fixed\n');
  registry.host.finish(4242, 0);
  expect(await status({}, d)).toBe(0);
  return { final: h.statusOf(d, 'task-1') as Record<string, any>, ws, home: d.state };
}

function cuts(ws: string): Record<string, unknown>[] {
  return jsonLines(workspaceLayout(ws).events).filter((e) => e.type === 'output-cut');
}

describe('agent output: a flood', () => {
  it('10 MB of lines then a result: events stay under 1 MB, one event says where they stop, the cost is kept', async () => {
    const { final, ws, home } = await floodRun((log) => {
      appendLines(log, 10 * MB);
      appendFileSync(log, `${RESULT}\n`);
    });
    expect(final).toMatchObject({ state: 'completed', usage: { costUsd: 0.4321, inputTokens: 10, outputTokens: 20 }, turns: 7 });
    expect(statSync(workspaceLayout(ws).events).size).toBeLessThan(MB);
    expect(statSync(join(home, 'events.jsonl')).size).toBeLessThan(MB);
    const [cut, ...more] = cuts(ws);
    expect(more).toEqual([]);
    expect(cut?.offset).toEqual(expect.any(Number));
    expect(cut?.offset as number).toBeGreaterThan(0);
    expect(cut?.offset as number).toBeLessThan(10 * MB);
    // The final result is recorded even though the events were cut before it.
    expect(jsonLines(workspaceLayout(ws).events).filter((e) => e.source === 'agent').at(-1)).toMatchObject({ type: 'result', ok: true, turns: 7 });
  });

  it('10 MB in one line without a newline, then a result', async () => {
    const { final, ws } = await floodRun((log) => {
      const piece = 'x'.repeat(MB);
      for (let i = 0; i < 10; i++) appendFileSync(log, piece);
      appendFileSync(log, `\n${RESULT}\n`);
    });
    expect(final).toMatchObject({ state: 'completed', usage: { costUsd: 0.4321 }, turns: 7 });
    expect(statSync(workspaceLayout(ws).events).size).toBeLessThan(MB);
  });

  it('a log past what agentctl reads of it: the result is found in its last bytes', async () => {
    const { final, ws } = await floodRun((log) => {
      appendLines(log, 40 * MB);
      appendFileSync(log, `${RESULT}\n`);
    });
    expect(final).toMatchObject({ state: 'completed', usage: { costUsd: 0.4321 }, turns: 7 });
    expect(cuts(ws)).toHaveLength(1);
    expect(statSync(workspaceLayout(ws).events).size).toBeLessThan(MB);
  });

  it('a log cut short and written again, over and over, does not reset what the run may add', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: 'agents:\n  claude:\n    host: true\n' });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude' }, d)).toBe(0);
    const log = claudeLog(ws);
    // Each rewrite is shorter than what was read before, and alone more than the run's events may hold.
    for (const kib of [900, 850, 800, 750, 700]) {
      writeFileSync(log, '');
      appendLines(log, kib * 1024);
      expect(await status({}, d)).toBe(0);
    }
    appendFileSync(log, `${RESULT}\n`);
    registry.host.finish(4242, 0);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'completed', usage: { costUsd: 0.4321 } });
    expect(cuts(ws)).toHaveLength(1);
    expect(statSync(workspaceLayout(ws).events).size).toBeLessThan(MB);
  });

  it('text that is not ASCII is read whole, wherever a read ends', async () => {
    const { ws } = await floodRun((log) => appendFileSync(log, `${'é€😀 text that is not ASCII\n'.repeat(10_000)}${RESULT}\n`));
    const texts = jsonLines(workspaceLayout(ws).events).filter((e) => e.type === 'text').map((e) => e.text as string);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text).not.toContain('\uFFFD');
  });

  it('a last result line without a newline still counts', async () => {
    const { final } = await floodRun((log) => appendFileSync(log, RESULT));
    expect(final).toMatchObject({ state: 'completed', usage: { costUsd: 0.4321 }, turns: 7 });
  });

  it('a small run is not cut, and its text lines become one event per burst', async () => {
    const { ws } = await floodRun((log) => appendFileSync(log, `one\ntwo\nthree\n${RESULT}\n`));
    expect(cuts(ws)).toEqual([]);
    const agent = jsonLines(workspaceLayout(ws).events).filter((e) => e.source === 'agent');
    expect(agent.map((e) => e.type)).toEqual(['text', 'usage', 'result']);
    expect(agent[0]?.text).toBe('one\ntwo\nthree');
  });
});

