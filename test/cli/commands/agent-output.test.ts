import { appendFileSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { MAX_LINE_BYTES } from '../../../src/core/events/agent-event.js';
import { clearOutput, isoAfter, jsonLines, manualClock, NOW, readJson, ScriptedRuntime, useCommandHarness } from '../../fakes/command-harness.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';

const h = withCliVersions(useCommandHarness());
const THREAD = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const SESSION = '00000000-0000-4000-8000-000000000001';

const codexLog = (ws: string) => join(ws, 'outbox', 'agent-codex.log');
const claudeLog = (ws: string) => join(ws, 'outbox', 'agent-claude.log');
const jsonl = (...events: unknown[]) => events.map((event) => `${JSON.stringify(event)}\n`).join('');
/** The agent's own events in the run's events.jsonl, without the fields every one of them has. */
const agentEvents = (ws: string) =>
  jsonLines(join(ws, '.meta', 'events.jsonl'))
    .filter((event) => event.source === 'agent')
    .map(({ source: _source, at: _at, workspace: _workspace, ...rest }) => rest);

const CODEX_RUN = jsonl(
  { type: 'thread.started', thread_id: THREAD },
  { type: 'turn.started' },
  { type: 'item.started', item: { id: 'item_0', type: 'command_execution', command: "bash -lc 'npm test'", aggregated_output: '', exit_code: null, status: 'in_progress' } },
  { type: 'item.completed', item: { id: 'item_0', type: 'command_execution', command: "bash -lc 'npm test'", aggregated_output: 'ok\n', exit_code: 0, status: 'completed' } },
);
const CODEX_END = jsonl(
  { type: 'item.completed', item: { id: 'item_1', type: 'agent_message', text: 'Fixed the redirect.' } },
  { type: 'turn.completed', usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } },
);

describe('agent output: codex in a container', () => {
  it('status shows what the agent printed so far, and the finished run keeps all of it', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);

    // Stderr shares the log with codex's JSONL.
    appendFileSync(codexLog(ws), `Reading prompt from stdin...\n${CODEX_RUN}`);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({
      state: 'running',
      progress: ['Reading prompt from stdin...', 'started', "tool shell: bash -lc 'npm test'"],
      // codex has no session id of its own in the job: the thread id is the one to resume.
      sessionId: THREAD,
    });
    expect(h.statusOf(d, 'task-1').usage).toBeUndefined();

    appendFileSync(codexLog(ws), CODEX_END);
    writeFileSync(join(ws, 'repo', 'fix.txt'), 'fixed\n');
    docker.exit('fake-1', 0);
    clearOutput(d);
    expect(await status({}, d)).toBe(0);
    const final = h.statusOf(d, 'task-1');
    expect(final).toMatchObject({
      state: 'completed',
      progress: ['Reading prompt from stdin...', 'started', "tool shell: bash -lc 'npm test'", 'Fixed the redirect.'],
      usage: { inputTokens: 24763, outputTokens: 122 },
      sessionId: THREAD,
    });
    expect(final.noChanges).toBeUndefined();
    expect((final.usage as Record<string, unknown>).costUsd).toBeUndefined();
    expect(final.turns).toBeUndefined();
    expect(final.deniedTools).toBeUndefined();

    // The run's own log gets the agent's events, between agentctl's; the global log does not.
    const events = jsonLines(join(ws, '.meta', 'events.jsonl'));
    expect(events.map((e) => `${String(e.source ?? 'agentctl')}:${String(e.type)}`)).toEqual([
      'agentctl:started',
      'agent:text',
      'agent:started',
      'agent:tool',
      'agent:text',
      'agent:usage',
      'agentctl:qa',
      'agentctl:finished',
    ]);
    expect(events.filter((e) => e.source === 'agent').every((e) => e.workspace === ws && e.at === NOW)).toBe(true);
    expect(agentEvents(ws)).toEqual([
      { type: 'text', text: 'Reading prompt from stdin...' },
      { type: 'started', sessionId: THREAD },
      { type: 'tool', name: 'shell', detail: "bash -lc 'npm test'" },
      { type: 'text', text: 'Fixed the redirect.' },
      { type: 'usage', inputTokens: 24763, outputTokens: 122, cumulative: false },
    ]);
    expect(jsonLines(join(d.state, 'events.jsonl')).some((e) => e.source === 'agent')).toBe(false);

    // Where reading got to: all of the log, nothing pending.
    expect(readJson(join(ws, '.meta', 'ingest.json'))).toMatchObject({ runCount: 1, offset: statSync(codexLog(ws)).size, pending: '' });
  });

  it('an unfinished last line waits for the rest of it', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);

    const message = JSON.stringify({ type: 'item.completed', item: { id: 'item_1', type: 'agent_message', text: 'All done.' } });
    appendFileSync(codexLog(ws), message.slice(0, 30));
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').progress).toEqual([]);
    expect(agentEvents(ws)).toEqual([]);

    appendFileSync(codexLog(ws), `${message.slice(30)}\n`);
    writeFileSync(join(ws, 'repo', 'done.txt'), 'done\n');
    docker.exit('fake-1', 0);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'completed', progress: ['All done.'] });
    expect(agentEvents(ws)).toEqual([{ type: 'text', text: 'All done.' }]);
  });

  it('a later run on the same workspace reads only its own output', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    docker.steps.push(() => {
      appendFileSync(codexLog(ws), CODEX_RUN + CODEX_END);
      writeFileSync(join(ws, 'repo', 'one.txt'), '1\n');
      return 0;
    });
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ runCount: 1, usage: { inputTokens: 24763, outputTokens: 122 } });

    docker.steps.push(() => {
      appendFileSync(codexLog(ws), jsonl({ type: 'thread.started', thread_id: 'second-thread' }, { type: 'turn.completed', usage: { input_tokens: 10, output_tokens: 1 } }));
      writeFileSync(join(ws, 'repo', 'two.txt'), '2\n');
      return 0;
    });
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(0);
    const second = h.statusOf(d, 'task-1');
    expect(second).toMatchObject({ state: 'completed', runCount: 2, progress: ['started'], usage: { inputTokens: 10, outputTokens: 1 }, sessionId: 'second-thread' });
    expect(readJson(join(ws, '.meta', 'ingest.json'))).toMatchObject({ runCount: 2, offset: statSync(codexLog(ws)).size });
    // agentctl's "=== agentctl run N ===" header lines are not agent output.
    expect(agentEvents(ws).filter((e) => String(e.text ?? '').includes('=== agentctl run'))).toEqual([]);
  });

  it('hostile output cannot break the status: lines are bounded, the run still finishes', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    docker.steps.push(() => {
      appendFileSync(
        codexLog(ws),
        [
          '{"type":"item.completed","item":{"type":"agent_message","text":"trunc',
          '[1,2,3]',
          'null',
          '\u001b[31m\u0000boom\u0007\r',
          JSON.stringify({ type: 'item.completed', item: { type: 'agent_message', text: 'm'.repeat(MAX_LINE_BYTES * 2) } }),
          'x'.repeat(MAX_LINE_BYTES * 3),
          JSON.stringify({ type: 'turn.completed', usage: { input_tokens: -5, output_tokens: 'lots' } }),
          JSON.stringify({ type: 'turn.failed', error: { message: `bad\n${'e'.repeat(10000)}` } }),
          JSON.stringify({ type: 'item.started', item: { type: 'command_execution', command: { nested: ['garbage'] } } }),
          '',
        ].join('\n'),
      );
      writeFileSync(join(ws, 'repo', 'x.txt'), 'x\n');
      return 0;
    });
    expect(await dispatch({ repo: 'acme/web', issue: '1', wait: true }, d)).toBe(0);
    const final = h.statusOf(d, 'task-1');
    expect(final.state).toBe('completed');
    const progress = final.progress as string[];
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThanOrEqual(20);
    for (const line of progress) {
      expect(line.length).toBeLessThanOrEqual(300);
      expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    expect(progress).toContain('[31mboom');
    expect(progress).toContain('error: bad');
    // Only hostile numbers were reported: no usage at all rather than made-up zeros.
    expect(final.usage).toBeUndefined();
    for (const raw of readFileSync(join(ws, '.meta', 'events.jsonl'), 'utf8').trimEnd().split('\n')) {
      expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(16 * 1024);
      expect(() => JSON.parse(raw)).not.toThrow();
    }
  });
});

/** claude on the host is an explicit opt-in. */
const HOST_CLAUDE = 'agents:\n  claude:\n    host: true\n';

describe('agent output: claude on the host', () => {
  const STREAM = jsonl(
    { type: 'system', subtype: 'init', session_id: SESSION, model: 'claude-sonnet-4-5-20250929', tools: ['Bash', 'Edit'], permissionMode: 'bypassPermissions' },
    { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'Looking at the redirect.' }] }, session_id: SESSION },
    { type: 'assistant', message: { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Edit', input: { file_path: '/w/repo/src/login.ts' } }] }, session_id: SESSION },
    { type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] }, session_id: SESSION },
    {
      type: 'result',
      subtype: 'success',
      is_error: false,
      num_turns: 3,
      result: 'Fixed it.',
      session_id: SESSION,
      total_cost_usd: 0.0123,
      usage: { input_tokens: 12, cache_creation_input_tokens: 3400, cache_read_input_tokens: 15000, output_tokens: 456 },
      permission_denials: [
        { tool_name: 'Bash', tool_use_id: 'toolu_2', tool_input: { command: 'git push' } },
        { tool_name: 'Bash', tool_use_id: 'toolu_3', tool_input: { command: 'curl x' } },
      ],
    },
  );

  it('the result gives usage with cost, turns and the tools that were denied', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude' }, d)).toBe(0);
    appendFileSync(claudeLog(ws), STREAM);
    writeFileSync(join(ws, 'repo', 'fix.txt'), 'fixed\n');
    registry.host.finish(4242, 0);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({
      state: 'completed',
      sessionId: SESSION,
      progress: ['started (claude-sonnet-4-5-20250929)', 'Looking at the redirect.', 'tool Edit: /w/repo/src/login.ts'],
      usage: { inputTokens: 18412, outputTokens: 456, costUsd: 0.0123 },
      turns: 3,
      deniedTools: ['Bash'],
    });
    expect(agentEvents(ws).map((e) => e.type)).toEqual(['started', 'text', 'tool', 'usage', 'result']);
    expect(agentEvents(ws).at(-1)).toEqual({ type: 'result', ok: true, text: 'Fixed it.', turns: 3, sessionId: SESSION, deniedTools: ['Bash'] });
  });

  it('--max-budget-usd goes on claude\'s command line; agentctl keeps no budget of its own for it', async () => {
    const registry = fakeRegistry([]);
    const d = h.setup(registry, { config: HOST_CLAUDE });
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', agent: 'claude', maxBudgetUsd: '1.5' }, d)).toBe(0);
    expect(registry.host.started[0]!.spec.argv.slice(-2)).toEqual(['--max-budget-usd', '1.5']);
    expect(readJson(join(ws, '.meta', 'job.json')).budgetUsd).toBeUndefined();
    expect(h.statusOf(d, 'task-1').budgetUsd).toBeUndefined();
  });
});

describe('agent output: budgets kept by agentctl', () => {
  it('codex takes no budget flag: the limit is kept in the job and the status', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', maxBudgetUsd: '2' }, d)).toBe(0);
    expect(docker.started[0]!.spec.argv).not.toContain('--max-budget-usd');
    expect(readJson(join(ws, '.meta', 'job.json')).budgetUsd).toBe(2);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'running', budgetUsd: 2 });
  });
});

describe('agent output: idle timeout', () => {
  it('stops a run whose log has been silent for --idle-timeout seconds', async () => {
    const docker = new ScriptedRuntime('docker'); // runs until stopped
    const d = h.setup(fakeRegistry([docker]));
    const clock = manualClock();
    d.clock = clock;
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1', idleTimeout: '30' }, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').idleSeconds).toBe(30);
    expect(readJson(join(ws, '.meta', 'job.json')).idleSeconds).toBe(30);
    // The header line was written at the start.
    utimesSync(codexLog(ws), new Date(NOW), new Date(NOW));

    clock.advance(29);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').state).toBe('running');

    // The agent prints something 20 s in: silence counts from there.
    appendFileSync(codexLog(ws), jsonl({ type: 'turn.started' }));
    utimesSync(codexLog(ws), new Date(isoAfter(20)), new Date(isoAfter(20)));
    clock.advance(20);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').state).toBe('running');
    expect(docker.stopped).toEqual([]);

    clock.advance(1);
    clearOutput(d);
    expect(await status({}, d)).toBe(0);
    expect(docker.stopped).toEqual([{ id: 'fake-1', graceSeconds: 5 }]);
    expect(h.statusOf(d, 'task-1')).toMatchObject({
      state: 'failed',
      reason: 'idle',
      stopReason: 'idle',
      exitCode: 143,
      finishedAt: isoAfter(50),
      hint: 'the agent printed nothing for 30 s; raise --idle-timeout, or look at its log for where it stalled',
    });
    expect(h.statusOf(d, 'task-1').noChanges).toBeUndefined();
  });

  it('timeouts.idle from the config is the default, and 0 turns it off', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]), { config: 'timeouts:\n  idle: 600\n  agent: 100000\npools:\n  codex:\n    limit: 2\n' });
    const clock = manualClock();
    d.clock = clock;
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    expect(h.statusOf(d, 'task-1').idleSeconds).toBe(600);
    expect(await dispatch({ repo: 'acme/web', issue: '2', idleTimeout: '0' }, d)).toBe(0);
    expect(h.statusOf(d, 'task-2').idleSeconds).toBe(0);
    for (const slot of ['task-1', 'task-2']) utimesSync(codexLog(h.workspaceOf(d, slot)), new Date(NOW), new Date(NOW));

    clock.advance(5000);
    expect(await status({}, d)).toBe(0);
    expect(h.statusOf(d, 'task-1')).toMatchObject({ state: 'failed', reason: 'idle' });
    expect(h.statusOf(d, 'task-2').state).toBe('running');
    expect(existsSync(join(h.workspaceOf(d, 'task-2'), '.meta', 'ingest.json'))).toBe(true);
  });
});
