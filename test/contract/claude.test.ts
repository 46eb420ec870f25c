import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgentCommand } from '../../src/core/agents/agent-argv.js';
import { resolveAgent } from '../../src/core/agents/resolve-agent.js';
import { configSchema } from '../../src/core/config/schema.js';
import { ExitCode } from '../../src/core/errors.js';
import { chownTreeTo, contractSetup, filesContaining, NODE_DIR, runProcess, userTempDir } from '../support/agent-clis.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { git } from '../support/git-fixtures.js';
import { BIN } from '../support/run-cli.js';

/**
 * The real `claude` (pinned in test/support/agent-clis.sh), run by agentctl
 * itself with exactly the argv it builds, as an ordinary user (claude refuses
 * --dangerously-skip-permissions as root), against a fake Anthropic API on
 * 127.0.0.1.
 */
const setup = contractSetup('claude contract', ['claude'], { nonRoot: true });

const API_KEY = 'sk-test';
/** Passed through to claude by name (agents.claude.env): fail fast, no updater, no other hosts. */
const CLAUDE_QUIET_ENV = { CLAUDE_CODE_MAX_RETRIES: '0', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
/** On the host (an explicit opt-in): this suite runs the real CLI installed here, not the agent image's. */
const CONFIG = { agents: { claude: { host: true, env: Object.keys(CLAUDE_QUIET_ENV) } } };

let fake: FakeAnthropic;
let root: string;
let repoUrl: string;

beforeAll(async () => {
  if (setup.problem !== undefined) throw new Error(setup.problem);
  fake = await startFakeAnthropic({ reply: 'Hello! This is the fake Claude speaking.', inputTokens: 42, outputTokens: 13 });
  root = userTempDir('claude', setup.user);
  const bare = join(root, 'forge', 'acme', 'hello.git');
  const work = join(root, 'forge', 'work');
  mkdirSync(bare, { recursive: true });
  mkdirSync(work, { recursive: true });
  git(bare, 'init', '--bare', '--quiet', '--initial-branch=main');
  git(work, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(work, 'README.md'), '# hello\n');
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', 'Initial commit');
  git(work, 'push', '--quiet', bare, 'main');
  // The user must own what it clones from (git refuses "dubious ownership" otherwise).
  chownTreeTo(join(root, 'forge'), setup.user);
  repoUrl = `file://${bare}`;
});

afterAll(async () => {
  await fake?.close();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

interface Dispatched {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  status: Record<string, any>;
  home: string;
  ws: string;
  job: { agentArgv: string[]; sessionId: string | undefined; base: string | undefined };
  events: Array<Record<string, any>>;
}

async function dispatch(name: string, issue: number, extra: string[], config: object = CONFIG): Promise<Dispatched> {
  const dir = join(root, name);
  mkdirSync(join(dir, 'home'), { recursive: true });
  mkdirSync(join(dir, 'config', 'agentctl'), { recursive: true });
  writeFileSync(join(dir, 'config', 'agentctl', 'config.yaml'), JSON.stringify(config));
  chownTreeTo(dir, setup.user);
  const agentctlHome = join(dir, 'state');
  const env = {
    PATH: `${setup.dir}:${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    AGENTCTL_HOME: agentctlHome,
    ANTHROPIC_API_KEY: API_KEY,
    ANTHROPIC_BASE_URL: fake.url,
    ...CLAUDE_QUIET_ENV,
  };
  const argv = ['node', BIN, 'dispatch', '--repo', repoUrl, '--issue', String(issue), '--task', 'Say hello', '--agent', 'claude:sonnet', '--wait', '--json', ...extra];
  const result = await runProcess(argv, { env, cwd: join(dir, 'home'), user: setup.user });
  let status: Record<string, any> = {};
  try {
    status = JSON.parse(result.stdout) as Record<string, any>;
  } catch {
    throw new Error(`agentctl printed no JSON (exit ${result.code}${result.timedOut ? ', timed out' : ''}):\n${result.stdout}\n${result.stderr}`);
  }
  const ws = status.workspace as string;
  const job = JSON.parse(readFileSync(join(ws, '.meta', 'job.json'), 'utf8'));
  const events = readFileSync(join(ws, '.meta', 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, any>);
  return { ...result, status, home: agentctlHome, ws, job, events };
}

function valueAfter(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at < 0 ? undefined : argv[at + 1];
}

/** What src/core/agents/agent-argv.ts builds for this run, from the run's own inputs. */
function expectedArgv(run: Dispatched, maxBudgetUsd?: number): string[] {
  const agent = resolveAgent('claude:sonnet', configSchema.parse(CONFIG));
  return buildAgentCommand({
    agent,
    prompt: readFileSync(join(run.ws, 'inbox', 'prompt.md'), 'utf8'),
    promptPath: join(run.ws, 'inbox', 'prompt.md'),
    base: run.job.base ?? 'main',
    sessionId: run.job.sessionId,
    maxBudgetUsd,
  }).argv;
}

describe.skipIf(setup.skip)('the real claude CLI, run by agentctl', () => {
  it("is put back in the queue when the API answers 429, and completes on its retry after the backoff", async () => {
    fake.limitNext(1);
    const config = { ...CONFIG, usage_limits: { backoff_seconds: 1 } };
    const run = await dispatch('rate-limited', 9, [], config);
    expect(run.status.reason, readFileSync(join(run.ws, 'outbox', 'agent-claude.log'), 'utf8').slice(-3000)).toBeUndefined();
    expect(run.code, run.stderr).toBe(0);
    expect(run.status).toMatchObject({ state: 'completed', runCount: 2, limitRequeues: 1 });
    expect(run.stderr).toMatch(/waiting for usage window until \d\d:\d\d \(Anthropic API rate limit\)/);
    const limited = run.events.find((event) => event.type === 'usage-limit');
    expect(limited).toMatchObject({ what: 'Anthropic API rate limit', by: 'backoff', pool: 'claude' });
    // The retry begins a session of its own: claude refuses a --session-id it has seen ("already in use").
    expect(valueAfter(run.job.agentArgv, '--session-id')).toBe(run.status.sessionId);
  }, 90_000);

  it('completes a dispatch against the fake API: session, usage, turns and events come from claude', async () => {
    const before = fake.messages().length;
    const run = await dispatch('plain', 1, []);
    expect(run.code, run.stderr).toBe(0);
    expect(run.status.state, run.status.reason).toBe('completed');
    expect(run.status.runtime).toBe('host');

    // agentctl built the command line; the real claude accepted all of it.
    const argv = run.job.agentArgv;
    expect(argv).toEqual(expectedArgv(run));
    expect(argv.slice(0, 2)).toEqual(['claude', '-p']);
    expect(argv).toContain('--dangerously-skip-permissions');
    expect(valueAfter(argv, '--output-format')).toBe('stream-json');
    expect(valueAfter(argv, '--model')).toBe('sonnet');

    // The request reached the fake, with the prompt and the key.
    const calls = fake.messages().slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.some((call) => call.body.includes('Say hello'))).toBe(true);
    for (const call of calls) expect(call.headers['x-api-key']).toBe(API_KEY);
    expect(fake.unknown).toEqual([]);

    // The session id agentctl chose is the one claude used and reported.
    const sessionId = valueAfter(argv, '--session-id');
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(run.status.sessionId).toBe(sessionId);
    expect(calls[0]?.headers['x-claude-code-session-id']).toBe(sessionId);

    // Usage and turns as claude reported them from the fake's numbers.
    expect(run.status.usage).toMatchObject({ inputTokens: fake.inputTokens * calls.length, outputTokens: fake.outputTokens * calls.length });
    expect(run.status.turns).toBe(1);

    // claude's stream-json, turned into agentctl events.
    const agentEvents = run.events.filter((event) => event.source === 'agent');
    expect(agentEvents.find((event) => event.type === 'started')).toMatchObject({ sessionId });
    expect(agentEvents.find((event) => event.type === 'text')).toMatchObject({ text: fake.reply });
    expect(agentEvents.find((event) => event.type === 'result')).toMatchObject({ ok: true, text: fake.reply, sessionId, turns: 1 });

    // The key's value is nowhere in agentctl's state.
    expect(filesContaining(run.home, API_KEY)).toEqual([]);
    console.info(`[contract] claude dispatch --wait: ${run.ms} ms`);
  });

  it('accepts --max-budget-usd as agentctl passes it', async () => {
    const before = fake.messages().length;
    const run = await dispatch('budget', 2, ['--max-budget-usd', '5']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.status.state, run.status.reason).toBe('completed');
    expect(valueAfter(run.job.agentArgv, '--max-budget-usd')).toBe('5');
    expect(run.job.agentArgv).toEqual(expectedArgv(run, 5));
    expect(fake.messages().length).toBeGreaterThan(before);
    expect(run.status.usage).toMatchObject({ inputTokens: fake.inputTokens, outputTokens: fake.outputTokens });
    expect(filesContaining(run.home, API_KEY)).toEqual([]);
    console.info(`[contract] claude dispatch --wait --max-budget-usd 5: ${run.ms} ms`);
  });

  it('fails the run when claude is given a flag it does not know (so the runs above prove every flag was understood)', async () => {
    const config = { agents: { claude: { ...CONFIG.agents.claude, args: ['--bogus-agentctl-flag'] } } };
    const run = await dispatch('bogus', 3, [], config);
    expect(run.job.agentArgv).toContain('--bogus-agentctl-flag');
    expect(run.code).toBe(ExitCode.runFailed);
    // Named as a start failure from the CLI's own wording, with a hint, and not counted towards pausing the pool.
    expect(run.status).toMatchObject({ state: 'failed', exitCode: 1, reason: 'the claude on this machine rejected the option --bogus-agentctl-flag: the agent never started' });
    expect(run.status.startFailure).toBeDefined();
    expect(readFileSync(join(run.ws, 'outbox', 'agent-claude.log'), 'utf8')).toContain("error: unknown option '--bogus-agentctl-flag'");
  });
});
