import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentCommand, MAX_PROMPT_ARG_BYTES, type AgentCommand } from '../../src/core/agents/agent-argv.js';
import { resolveAgent } from '../../src/core/agents/resolve-agent.js';
import { configSchema } from '../../src/core/config/schema.js';
import type { AgentEvent } from '../../src/core/events/agent-event.js';
import { parseGeminiLine } from '../../src/core/events/parse-gemini.js';
import { classifyUsageLimit } from '../../src/core/run/usage-limit.js';
import { contractSetup, NODE_DIR, runProcess, userTempDir, type ProcessResult } from '../support/agent-clis.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.js';
import { git } from '../support/git-fixtures.js';

/**
 * The real `gemini` (pinned in test/support/agent-clis.sh) run with exactly
 * the argv agentctl builds, against a fake Gemini API on 127.0.0.1
 * (GOOGLE_GEMINI_BASE_URL, with $HOME/.gemini/settings.json selecting API-key
 * auth, which the base URL needs).
 */
const setup = contractSetup('gemini contract', ['gemini']);

const CONFIG = configSchema.parse({});
const API_KEY = 'gemini-contract-test-key';
const PROMPT = 'Say hello to the gemini contract test.';
/**
 * API-key auth (needed for GOOGLE_GEMINI_BASE_URL), and nothing that leaves
 * 127.0.0.1: without privacy.usageStatisticsEnabled=false gemini looks up
 * play.googleapis.com (usage statistics); no telemetry, no update checks.
 */
const SETTINGS = {
  security: { auth: { selectedType: 'gemini-api-key' } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
};

let fake: FakeGemini;
let root: string;
let repo: string;

beforeAll(async () => {
  if (setup.problem !== undefined) throw new Error(setup.problem);
  fake = await startFakeGemini({ reply: 'Hello from the fake Gemini model.' });
  root = userTempDir('gemini', undefined);
  repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(repo, 'README.md'), '# hello\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'Initial commit');
});

afterAll(async () => {
  await fake?.close();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

function build(spec: string, prompt = PROMPT): AgentCommand {
  return buildAgentCommand({ agent: resolveAgent(spec, CONFIG), prompt, promptPath: join(root, 'inbox', 'prompt.md'), base: 'main' });
}

interface GeminiRun extends ProcessResult {
  events: AgentEvent[];
  calls: FakeGemini['requests'];
}

async function runGemini(name: string, argv: string[], stdin?: string): Promise<GeminiRun> {
  const home = join(root, name);
  mkdirSync(join(home, '.gemini'), { recursive: true });
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(SETTINGS));
  const env = {
    PATH: `${setup.dir}:${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    GEMINI_API_KEY: API_KEY,
    GOOGLE_GEMINI_BASE_URL: fake.url,
    // As agentctl sets them for every agent run.
    NO_COLOR: '1',
    CI: 'true',
    TERM: 'dumb',
  };
  const before = fake.requests.length;
  const result = await runProcess(argv, { env, cwd: repo, stdin });
  const events = result.stdout.split('\n').flatMap((line) => parseGeminiLine(line));
  console.info(`[contract] gemini (${name}): exit ${result.code} in ${result.ms} ms`);
  return { ...result, events, calls: fake.requests.slice(before) };
}

function turns(run: GeminiRun) {
  return run.calls.filter((call) => call.method === 'POST' && call.path.endsWith(':streamGenerateContent'));
}

function expectAccepted(run: GeminiRun): void {
  expect(run.timedOut, run.stderr).toBe(false);
  expect(run.stderr).not.toMatch(/Unknown argument|Not enough arguments|Invalid values/i);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
}

function expectReplyEvents(run: GeminiRun, model: string | undefined): void {
  expect(run.events.find((event) => event.type === 'started')).toMatchObject({ type: 'started', sessionId: expect.any(String), ...(model === undefined ? {} : { model }) });
  // gemini streams the reply as deltas; together they are the fake's text.
  const text = run.events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('');
  expect(text).toBe(fake.reply);
  // gemini totals every model call of the run, its own routing call (":generateContent") included.
  const calls = run.calls.filter((call) => call.method === 'POST' && /:(stream)?[gG]enerateContent$/.test(call.path)).length;
  expect(run.events).toContainEqual({ type: 'usage', inputTokens: fake.inputTokens * calls, outputTokens: fake.outputTokens * calls, cumulative: true });
  expect(run.events.find((event) => event.type === 'result')).toMatchObject({ type: 'result', ok: true });
  expect(run.events.filter((event) => event.type === 'error')).toEqual([]);
}

describe.skipIf(setup.skip)('the real gemini CLI accepts the argv agentctl builds', () => {
  it('gemini: -p PROMPT --yolo --skip-trust --output-format stream-json', async () => {
    const command = build('gemini');
    expect(command.argv).toEqual(['gemini', '-p', PROMPT, '--yolo', '--skip-trust', '--output-format', 'stream-json']);
    const run = await runGemini('gemini', command.argv);
    expectAccepted(run);
    const calls = turns(run);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls[0]?.headers['x-goog-api-key']).toBe(API_KEY);
    expect(calls[0]?.body).toContain(PROMPT);
    expectReplyEvents(run, undefined);
  });

  it('gemini:flash: -m gemini-2.5-flash reaches the API', async () => {
    const command = build('gemini:flash');
    expect(command.argv.slice(-2)).toEqual(['-m', 'gemini-2.5-flash']);
    const run = await runGemini('gemini-flash', command.argv);
    expectAccepted(run);
    const [call] = turns(run);
    expect(call?.path).toMatch(/\/models\/gemini-2\.5-flash:streamGenerateContent$/);
    expect(call?.body).toContain(PROMPT);
    expectReplyEvents(run, 'gemini-2.5-flash');
  });

  it('gemini: a prompt over the argv limit goes on stdin, with a pointer in -p', async () => {
    const prompt = `${PROMPT} ${'All work and no play. '.repeat(Math.ceil(MAX_PROMPT_ARG_BYTES / 20))}`;
    const command = build('gemini', prompt);
    expect(command.promptVia).toBe('stdin');
    const run = await runGemini('gemini-stdin', command.argv, command.stdin);
    expectAccepted(run);
    const [call] = turns(run);
    expect(call?.body).toContain(PROMPT);
    expect(call?.body).toContain('All work and no play. All work and no play.');
    expect(call?.body).toContain('Follow the instructions given on standard input.');
    expectReplyEvents(run, undefined);
  });

  it('stops at a used-up daily quota (429, RESOURCE_EXHAUSTED) with words agentctl takes for a usage limit', async () => {
    fake.quotaExhausted(true);
    let run: GeminiRun;
    try {
      run = await runGemini('gemini-quota', build('gemini').argv);
    } finally {
      fake.quotaExhausted(false);
    }
    expect(run.code, run.stderr).not.toBe(0);
    // The agent log holds both streams, as the wrapper writes them.
    const limit = classifyUsageLimit({ exitCode: run.code, logTail: `${run.stderr}\n${run.stdout}`, now: new Date() });
    expect(limit, run.stdout).toEqual({ what: 'gemini quota', resetAt: undefined });
  }, 60_000);

  it('rejects an unknown flag (so the runs above prove every flag was understood)', async () => {
    const run = await runGemini('bogus', [...build('gemini').argv, '--bogus-agentctl-flag']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Unknown arguments?: bogus-agentctl-flag/);
    expect(turns(run)).toEqual([]);
  });

  it('asked nothing of any path it does not know', () => {
    expect(fake.unknown).toEqual([]);
  });
});
