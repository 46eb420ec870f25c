import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResetTime } from '../../../src/core/run/reset-time.js';
import { RUN_MARKER } from '../../../src/core/run/start-failure.js';
import { classifyUsageLimit } from '../../../src/core/run/usage-limit.js';

const NOW = new Date('2026-12-07T11:20:00.000Z');
const classify = (logTail: string, exitCode: number | undefined = 1) => classifyUsageLimit({ exitCode, logTail, now: NOW });
const iso = (text: string) => new Date(text).toISOString();

/*
 * Where each wording comes from:
 * - claude 2.1.197 (the bundle in @anthropic-ai/claude-code): hJ() builds "You've hit your <session|weekly|Opus|usage> limit"
 *   and xfp() adds " · resets <Vee(resetsAt, true)>", Vee printing "3pm", "3:30pm" or "Dec 9, 5pm" and " (<IANA zone>)";
 *   in stream-json it emits {"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":<epoch s>,…}},
 *   the error turn {"type":"assistant","error":"rate_limit",…} and {"type":"result","subtype":"success","is_error":true,
 *   "api_error_status":429,"result":"<the message>"}; with an API key a 429 reads "API Error: Request rejected (429) · …".
 * - claude 1.x, in its issue tracker: "Claude AI usage limit reached|1760000000", "5-hour limit reached ∙ resets 3pm".
 * - The Anthropic API: {"type":"error","error":{"type":"rate_limit_error","message":"…"}}.
 * - codex 0.169.0 (codex-rs UsageLimitReachedError, in the binary): "You’ve hit your usage limit. Upgrade to Plus … or try again
 *   at 3:51 PM." ("%-I:%M %p", or "%b %-d<th>, %Y %-I:%M %p"); in exec --json as {"type":"error","message":…} and
 *   {"type":"turn.failed","error":{"message":…}}; with an API key "exceeded retry limit, last status: 429 Too Many Requests";
 *   "Quota exceeded. Check your plan and billing details." (insufficient_quota).
 * - gemini 0.61.0 (packages/core classifyGoogleError, parseAndFormatApiError, the non-interactive handleError): stream-json
 *   {"type":"result","status":"error","error":{"type":"TerminalQuotaError","message":"[API Error: You have exhausted your
 *   daily quota on this model.]"}}; the Gemini API's 429 "You exceeded your current quota … Please retry in 37.926s.",
 *   "(Status: RESOURCE_EXHAUSTED)".
 */
describe('classifyUsageLimit', () => {
  it.each<[string, string, string | undefined, string | undefined]>([
    [
      'claude stream-json: rate_limit_event, error turn and result',
      [
        '{"type":"system","subtype":"init","session_id":"s"}',
        '{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1796648220,"rateLimitType":"five_hour"},"uuid":"u","session_id":"s"}',
        '{"type":"assistant","message":{"content":[{"type":"text","text":"You\'ve hit your session limit · resets 1pm (UTC)"}]},"error":"rate_limit","session_id":"s"}',
        '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"You\'ve hit your session limit · resets 1pm (UTC)","session_id":"s"}',
      ].join('\n'),
      'claude usage limit',
      // The event's exact epoch, not the words' rounded "1pm".
      iso('2026-12-07T12:57:00Z'),
    ],
    ['claude result alone, a zone', '{"type":"result","subtype":"success","is_error":true,"api_error_status":429,"result":"You\'ve hit your weekly limit · resets Dec 9, 5pm (America/New_York)"}', 'claude usage limit', iso('2026-12-09T22:00:00Z')],
    ['claude text: usage limit with minutes', "You've hit your usage limit · resets 3:30pm (UTC)", 'claude usage limit', iso('2026-12-07T15:30:00Z')],
    ['claude text: a time already past today is tomorrow', "You've hit your limit · resets 9am (UTC)", 'claude usage limit', iso('2026-12-08T09:00:00Z')],
    ['claude text: no reset named', "You've hit your org's monthly spend limit · ask your admin to raise it at claude.ai/settings/usage", 'claude usage limit', undefined],
    ['claude 1.x: epoch after a bar', 'Claude AI usage limit reached|1765112400', 'claude usage limit', iso('2025-12-07T13:00:00Z')],
    ['claude 1.x: 5-hour limit, no zone is UTC', '5-hour limit reached ∙ resets 3pm', 'claude usage limit', iso('2026-12-07T15:00:00Z')],
    ['claude with an API key: 429', 'API Error: Request rejected (429) · This request would exceed the rate limit for your organization', 'Anthropic API rate limit', undefined],
    ['Anthropic API rate_limit_error body', 'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"Rate limited"}}', 'Anthropic API rate limit', undefined],
    [
      'codex exec --json: error and turn.failed, a time today',
      [
        '{"type":"thread.started","thread_id":"t"}',
        '{"type":"turn.started"}',
        '{"type":"error","message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 3:51 PM."}',
        '{"type":"turn.failed","error":{"message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 3:51 PM."}}',
      ].join('\n'),
      'codex usage limit',
      iso('2026-12-07T15:51:00Z'),
    ],
    ['codex text: a date with a suffix', "ERROR: You've hit your usage limit. Please try again at Dec 29th, 2026 12:55 AM.", 'codex usage limit', iso('2026-12-29T00:55:00Z')],
    ['codex text: in days and hours', "You've hit your usage limit. Upgrade to Pro or try again in 4 days 3 hours.", 'codex usage limit', iso('2026-12-11T14:20:00Z')],
    ['codex text: try again later', '{"type":"error","message":"You’ve hit your usage limit. To get more access now, send a request to your admin or try again later."}', 'codex usage limit', undefined],
    ['codex with an API key: 429 after its retries', '{"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests, request id: abc"}', 'codex rate limit (HTTP 429)', undefined],
    ['codex: insufficient quota', '{"type":"turn.failed","error":{"message":"Quota exceeded. Check your plan and billing details."}}', 'codex quota', undefined],
    [
      'gemini stream-json: TerminalQuotaError result',
      '{"type":"result","timestamp":"2026-12-07T11:19:00.000Z","status":"error","error":{"type":"TerminalQuotaError","message":"[API Error: You have exhausted your daily quota on this model.]"},"stats":{}}',
      'gemini quota',
      undefined,
    ],
    [
      'gemini: the API 429 with a retry delay',
      '{"type":"result","status":"error","error":{"type":"RetryableQuotaError","message":"[API Error: You exceeded your current quota, please check your plan and billing details. Please retry in 37.5s.]"}}',
      'gemini quota',
      iso('2026-12-07T11:20:37.500Z'),
    ],
    ['gemini text: RESOURCE_EXHAUSTED', '[API Error: Resource has been exhausted (e.g. check quota). (Status: RESOURCE_EXHAUSTED)]', 'gemini quota', undefined],
    ['a test suite failing is no limit', 'FAIL test/a.test.ts\n1 failed', undefined, undefined],
    ['a bare 429 is no limit', 'HTTP 429\ninput_tokens: 4291', undefined, undefined],
    ['a limit message inside a tool result is no limit', '{"type":"user","message":{"content":[{"type":"tool_result","content":"You\'ve hit your session limit · resets 3pm (UTC)"}]}}', undefined, undefined],
    ['an assistant quoting the wording in prose is no limit', '{"type":"assistant","message":{"content":[{"type":"text","text":"You\'ve hit your session limit · resets 3pm"}]}}', undefined, undefined],
    ['a successful claude result is no limit', '{"type":"result","subtype":"success","is_error":false,"result":"You\'ve hit your session limit · resets 3pm (UTC)"}', undefined, undefined],
  ])('%s', (_name, log, what, resetAt) => {
    const found = classify(log);
    expect(found?.what).toBe(what);
    expect(found?.resetAt?.toISOString()).toBe(resetAt);
  });

  it('needs a non-zero exit: a CLI that retried and finished was not stopped by its limit', () => {
    expect(classify("You've hit your usage limit · resets 3pm (UTC)", 0)).toBeUndefined();
    expect(classifyUsageLimit({ exitCode: undefined, logTail: "You've hit your usage limit · resets 3pm (UTC)", now: NOW })).toBeUndefined();
  });

  it("looks only at this run's part of the log, and only at its end", () => {
    const earlier = `${RUN_MARKER}1: claude started ===\nYou've hit your usage limit · resets 3pm (UTC)\n${RUN_MARKER}2: claude started ===\ntests failed\n`;
    expect(classify(earlier)).toBeUndefined();
    const long = `You've hit your usage limit · resets 3pm (UTC)\n${'working\n'.repeat(100)}`;
    expect(classify(long)).toBeUndefined();
  });

  it('takes a garbage or unknown reset as no reset', () => {
    expect(classify("You've hit your session limit · resets 3pm (Mars/Olympus)")).toEqual({ what: 'claude usage limit', resetAt: undefined });
    expect(classify("You've hit your session limit · resets 13pm (UTC)")).toEqual({ what: 'claude usage limit', resetAt: undefined });
    expect(classify('Claude AI usage limit reached|0')).toEqual({ what: 'claude usage limit', resetAt: undefined });
  });
});

/**
 * What the real CLIs printed here, each run by hand against a server on
 * 127.0.0.1 answering its model call with HTTP 429 and the provider's own
 * error body: claude -p --output-format stream-json --verbose (ANTHROPIC_BASE_URL;
 * rate_limit_error), codex exec --json (openai_base_url; rate_limit_exceeded,
 * which it retries, then gives up), gemini -p --output-format stream-json
 * (GOOGLE_GEMINI_BASE_URL; RESOURCE_EXHAUSTED with a per-day QuotaFailure).
 */
describe('the real CLIs, captured', () => {
  const capture = (name: string) => readFileSync(new URL(`./limit-captures/${name}`, import.meta.url), 'utf8');

  it.each<[string, number, string]>([
    ['claude-2.1.197-api-429.jsonl', 1, 'Anthropic API rate limit'],
    ['codex-0.169.0-429.jsonl', 1, 'codex rate limit (HTTP 429)'],
    ['gemini-0.61.0-daily-quota.jsonl', 173, 'gemini quota'],
  ])('%s (exit %i): %s', (name, exitCode, what) => {
    expect(classifyUsageLimit({ exitCode, logTail: capture(name), now: NOW })).toEqual({ what, resetAt: undefined });
  });
});

describe('parseResetTime', () => {
  it.each<[string, string | undefined]>([
    ['3pm (UTC)', '2026-12-07T15:00:00.000Z'],
    ['3pm (Europe/Berlin)', '2026-12-07T14:00:00.000Z'],
    ['11am (Asia/Tokyo)', '2026-12-08T02:00:00.000Z'],
    ['Dec 9, 2027, 5pm (UTC)', '2027-12-09T17:00:00.000Z'],
    ['at 12:05 AM.', '2026-12-08T00:05:00.000Z'],
    ['in ~5 min', '2026-12-07T11:25:00.000Z'],
    ['later.', undefined],
    ['Foo 9, 5pm (UTC)', undefined],
  ])('%s', (text, expected) => {
    expect(parseResetTime(text, NOW)?.toISOString()).toBe(expected);
  });
});
