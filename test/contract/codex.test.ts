import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentCommand, DEFAULT_LOCAL_MODEL, MAX_PROMPT_ARG_BYTES, type AgentCommand } from '../../src/core/agents/agent-argv.js';
import { resolveAgent } from '../../src/core/agents/resolve-agent.js';
import { configSchema } from '../../src/core/config/schema.js';
import type { AgentEvent } from '../../src/core/events/agent-event.js';
import { parseCodexLine } from '../../src/core/events/parse-codex.js';
import { classifyUsageLimit } from '../../src/core/run/usage-limit.js';
import { contractSetup, NODE_DIR, runProcess, userTempDir, type ProcessResult } from '../support/agent-clis.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai.js';
import { git } from '../support/git-fixtures.js';

/**
 * The real `codex` (pinned in test/support/agent-clis.sh) run with exactly the
 * argv agentctl builds, against a fake Responses API / Ollama on 127.0.0.1.
 * The only addition is a leading `-c openai_base_url="<fake>/v1"` (codex
 * ignores OPENAI_BASE_URL); `local` finds the fake through CODEX_OSS_BASE_URL.
 */
const setup = contractSetup('codex contract', ['codex']);

const CONFIG = configSchema.parse({});
const API_KEY = 'sk-codex-contract-test';
const PROMPT = 'Say hello to the codex contract test.';

let fake: FakeOpenAi;
let root: string;
let repo: string;

beforeAll(async () => {
  if (setup.problem !== undefined) throw new Error(setup.problem);
  fake = await startFakeOpenAi({ models: [DEFAULT_LOCAL_MODEL, `${DEFAULT_LOCAL_MODEL}:latest`], reply: 'Hello from the fake Codex model.' });
  root = userTempDir('codex', undefined);
  // A checkout like agentctl's repo/: main, and a branch with a change to review against it.
  repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(repo, 'README.md'), '# hello\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '--quiet', '-m', 'Initial commit');
  git(repo, 'checkout', '--quiet', '-b', 'agent/issue-1');
  writeFileSync(join(repo, 'README.md'), '# hello\n\nA greeting for Ada.\n');
  git(repo, 'commit', '--quiet', '-am', 'Greet Ada');
  mkdirSync(join(root, 'inbox'));
  mkdirSync(join(root, 'outbox'));
});

afterAll(async () => {
  await fake?.close();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

function build(spec: string, prompt = PROMPT): AgentCommand {
  return buildAgentCommand({ agent: resolveAgent(spec, CONFIG), prompt, promptPath: join(root, 'inbox', 'prompt.md'), base: 'main' });
}

interface CodexRun extends ProcessResult {
  events: AgentEvent[];
  calls: FakeOpenAi['requests'];
}

/** Run codex with agentctl's argv (plus the fake's base URL for the OpenAI provider), fresh CODEX_HOME each time. */
async function runCodex(name: string, argv: string[], options: { oss?: boolean; stdin?: string } = {}): Promise<CodexRun> {
  const home = join(root, name);
  mkdirSync(join(home, 'codex-home'), { recursive: true });
  // codex otherwise syncs its curated plugins from github.com at start (seen as a DNS lookup).
  writeFileSync(join(home, 'codex-home', 'config.toml'), '[features]\nplugins = false\n');
  const env: Record<string, string> = {
    PATH: `${setup.dir}:${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    CODEX_HOME: join(home, 'codex-home'),
    CODEX_API_KEY: API_KEY,
    // As agentctl sets them for every agent run.
    NO_COLOR: '1',
    CI: 'true',
    TERM: 'dumb',
  };
  if (options.oss === true) env.CODEX_OSS_BASE_URL = `${fake.url}/v1`;
  const [program, ...rest] = argv as [string, ...string[]];
  const withFake = options.oss === true ? argv : [program, '-c', `openai_base_url="${fake.url}/v1"`, ...rest];
  const before = fake.requests.length;
  const result = await runProcess(withFake, { env, cwd: repo, stdin: options.stdin });
  const events = result.stdout.split('\n').flatMap((line) => parseCodexLine(line));
  const calls = fake.requests.slice(before);
  console.info(`[contract] ${argv.slice(0, 3).join(' ')}… (${name}): exit ${result.code} in ${result.ms} ms`);
  return { ...result, events, calls };
}

function modelCalls(run: CodexRun) {
  return run.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/responses'));
}

function expectAccepted(run: CodexRun): void {
  expect(run.timedOut, run.stderr).toBe(false);
  expect(run.stderr).not.toMatch(/unexpected argument|unrecognized|invalid value|Usage: codex/i);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
}

function expectReplyEvents(run: CodexRun, usage = true): void {
  expect(run.events.find((event) => event.type === 'started')).toMatchObject({ type: 'started', sessionId: expect.any(String) });
  expect(run.events).toContainEqual({ type: 'text', text: fake.reply });
  if (usage) expect(run.events).toContainEqual({ type: 'usage', inputTokens: fake.inputTokens, outputTokens: fake.outputTokens, cumulative: false });
  expect(run.events.filter((event) => event.type === 'error' && !/Model metadata/.test(event.message))).toEqual([]);
}

describe.skipIf(setup.skip)('the real codex CLI accepts the argv agentctl builds', () => {
  it('codex: exec --json --dangerously-bypass-approvals-and-sandbox -- PROMPT', async () => {
    const command = build('codex');
    expect(command.argv).toEqual(['codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--', PROMPT]);
    const run = await runCodex('codex', command.argv);
    expectAccepted(run);
    const [call] = modelCalls(run);
    expect(call?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(call?.body).toContain(PROMPT);
    expectReplyEvents(run);
  });

  it('codex:gpt-5: --model reaches the API', async () => {
    const command = build('codex:gpt-5');
    expect(command.argv).toContain('--model');
    const run = await runCodex('codex-gpt-5', command.argv);
    expectAccepted(run);
    const [call] = modelCalls(run);
    expect((call?.json as { model?: string }).model).toBe('gpt-5');
    expect(call?.body).toContain(PROMPT);
    expectReplyEvents(run);
  });

  it('codex:review: exec review --json --base main --output-last-message FILE', async () => {
    const command = build('codex:review');
    const reviewFile = join(root, 'outbox', 'review.md');
    expect(command.argv).toEqual(['codex', 'exec', 'review', '--json', '--base', 'main', '--output-last-message', reviewFile]);
    const run = await runCodex('codex-review', command.argv);
    expectAccepted(run);
    const [call] = modelCalls(run);
    expect(call?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    // The review is of the branch's change against main.
    expect(call?.body).toContain('main');
    expect(readFileSync(reviewFile, 'utf8').trim()).toBe(fake.reply);
    expectReplyEvents(run, false);
  });

  it(`local: exec --oss --local-provider ollama --model ${DEFAULT_LOCAL_MODEL}, against an Ollama at CODEX_OSS_BASE_URL`, async () => {
    const command = build('local');
    expect(command.argv).toEqual(['codex', 'exec', '--json', '--oss', '--local-provider', 'ollama', '--dangerously-bypass-approvals-and-sandbox', '--model', DEFAULT_LOCAL_MODEL, '--', PROMPT]);
    const run = await runCodex('local', command.argv, { oss: true });
    expectAccepted(run);
    const paths = run.calls.map((call) => `${call.method} ${call.path}`);
    expect(paths).toContain('GET /api/version');
    const [call] = modelCalls(run);
    expect((call?.json as { model?: string }).model).toBe(DEFAULT_LOCAL_MODEL);
    expect(call?.body).toContain(PROMPT);
    expectReplyEvents(run);
  });

  it('codex: a prompt over the argv limit goes on stdin as "-"', async () => {
    const prompt = `${PROMPT} ${'All work and no play. '.repeat(Math.ceil(MAX_PROMPT_ARG_BYTES / 20))}`;
    const command = build('codex', prompt);
    expect(command.promptVia).toBe('stdin');
    expect(command.argv.at(-1)).toBe('-');
    const run = await runCodex('codex-stdin', command.argv, { stdin: command.stdin });
    expectAccepted(run);
    const [call] = modelCalls(run);
    expect(call?.body).toContain(PROMPT);
    expect(call?.body).toContain('All work and no play. All work and no play.');
    expectReplyEvents(run);
  });

  it('stops at an API rate limit (429, after its own retries) with words agentctl takes for a usage limit', async () => {
    fake.rateLimit(true);
    let run: CodexRun;
    try {
      run = await runCodex('codex-429', build('codex').argv);
    } finally {
      fake.rateLimit(false);
    }
    expect(run.code, run.stderr).not.toBe(0);
    expect(modelCalls(run).length).toBeGreaterThanOrEqual(1);
    // The agent log holds both streams, as the wrapper writes them.
    const limit = classifyUsageLimit({ exitCode: run.code, logTail: `${run.stderr}\n${run.stdout}`, now: new Date() });
    expect(limit, run.stdout).toEqual({ what: 'codex rate limit (HTTP 429)', resetAt: undefined });
  }, 60_000);

  it('rejects an unknown flag (so the runs above prove every flag was understood)', async () => {
    const argv = build('codex').argv;
    const bogus = [...argv.slice(0, argv.indexOf('--')), '--no-such-agentctl-flag', ...argv.slice(argv.indexOf('--'))];
    const run = await runCodex('bogus', bogus);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unexpected argument '--no-such-agentctl-flag'");
    expect(modelCalls(run)).toEqual([]);
  });

  it('asked nothing of any path it does not know', () => {
    expect(fake.unknown).toEqual([]);
  });
});
