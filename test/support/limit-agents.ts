import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { makeTempDir } from './git-fixtures.js';
import { runCli } from './run-cli.js';
import { TEST_IMAGE } from './test-engines.js';

/**
 * Scripted agents that stop at their provider's limit as the real CLIs do
 * (see test/integration/usage-limits.test.ts and hostile-usage-limits.test.ts),
 * and the looks at status and events those tests take.
 */

export const MARK = '/workspace/repo/.limit-seen';
export const once = (limit: string, done: string) => `if [ -f ${MARK} ]; then echo '${done}'; exit 0; fi; touch ${MARK}; ${limit}; exit 1`;

/** claude 2.1.197 in stream-json: the rejected rate_limit_event with the exact reset (epoch seconds), then its error result. */
export const claudeLimit = (secondsAhead: string) =>
  [
    `r=$(( $(date +%s) + ${secondsAhead} ))`,
    `echo '{"type":"system","subtype":"init","session_id":"s"}'`,
    `echo "{\\"type\\":\\"rate_limit_event\\",\\"rate_limit_info\\":{\\"status\\":\\"rejected\\",\\"resetsAt\\":$r,\\"rateLimitType\\":\\"five_hour\\"},\\"session_id\\":\\"s\\"}"`,
    `echo '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"You’ve hit your session limit · resets 3pm (UTC)","session_id":"s"}'`,
  ].join('; ');

/** codex 0.169.0 exec --json with an API key, as it printed here: a 429 after its own retries, then exit 1. */
export const CODEX_429 = [
  `echo '{"type":"thread.started","thread_id":"t"}'`,
  `echo '{"type":"turn.started"}'`,
  `echo '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}'`,
  `echo '{"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}'`,
].join('; ');

/** gemini 0.61.0 in stream-json, as it printed here for a 429 with a per-day quota: its error result, then exit 173. */
export const GEMINI_QUOTA = [
  `echo '{"type":"init","timestamp":"2026-12-07T11:43:17.165Z","session_id":"s","model":"auto"}'`,
  `echo '{"type":"result","timestamp":"2026-12-07T11:43:17.237Z","status":"error","error":{"type":"unknown","message":"[API Error: You have exhausted your daily quota on this model.]\\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"},"stats":{"total_tokens":0}}'`,
  'exit 173',
].join('; ');

export const agent = (pool: string, script: string) => `    command: ${JSON.stringify(['sh', '-c', script])}\n    pool: ${pool}\n`;

export function setup(forgeUrl: string, engine: { hostVar: string; url: string }): { env: Record<string, string>; state: string } {
  const home = makeTempDir('usage-limit');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
forges:
  f:
    kind: forgejo
    url: ${forgeUrl}
runtime:
  image: ${TEST_IMAGE}
qa:
  enabled: false
backoff:
  threshold: 1
usage_limits:
  backoff_seconds: 2
  max_requeues: 3
agents:
  claudelimit:
${agent('claude', once(claudeLimit('10'), '{"type":"result","subtype":"success","is_error":false,"result":"done"}'))}  codexlimit:
${agent('codex', once(CODEX_429, '{"type":"turn.completed"}'))}  geminilimit:
${agent('gemini', once(GEMINI_QUOTA, '{"type":"result","status":"success"}'))}  liar:
${agent('liar', once(claudeLimit('315360000'), 'done'))}  always:
${agent('always', `${claudeLimit('1')}; exit 1`)}`,
  );
  const state = join(home, 'state');
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url }, state };
}

export interface Run {
  workspace: string;
  state: string;
  runCount: number;
  reason?: string;
  waitingFor?: string;
  notBefore?: string;
  usageLimit?: { what: string; until: string; by: string; capped: boolean };
  limitRequeues?: number;
}
export interface Pool {
  pool: string;
  queued: number;
  pausedSeconds: number;
  pausedUntil?: string;
  pausedFor?: string;
  fastFails: number;
}
export interface Status {
  runs: Run[];
  pools: Pool[];
}

export function statusJson(env: Record<string, string>): Status {
  const result = runCli(['status', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Status;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(env: Record<string, string>, done: (s: Status) => boolean, seconds = 90): Promise<Status> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const status = statusJson(env);
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out; last status: ${JSON.stringify(status.runs.map((r) => [r.state, r.reason, r.waitingFor]))}`);
    await sleep(250);
  }
}

export function events(state: string): Array<Record<string, any>> {
  const path = join(state, 'events.jsonl');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>) : [];
}

export const ms = (iso: string) => new Date(iso).getTime();

