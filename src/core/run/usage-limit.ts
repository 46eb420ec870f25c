import { thisRunsPart } from './start-failure.js';
import { parseResetTime } from './reset-time.js';

/**
 * An agent that stopped because its provider said "not now": a usage window
 * used up (claude's session and weekly limits, codex's plan limits, gemini's
 * daily quota) or a rate limit (HTTP 429, RESOURCE_EXHAUSTED, the Anthropic
 * API's rate_limit_error). Such a run is not a failure of the task: it goes
 * back to the queue (see usageWait).
 *
 * Classified from the end of the agent log, which the agent writes: only the
 * real CLIs' own wordings are matched (each quoted in the tests with where it
 * comes from), structured events only in the fields the CLIs put them in (a
 * limit message inside a tool result or the agent's prose is not one), and
 * the name of the limit is our own words. The reset time is only a proposal:
 * usageWait bounds it.
 */
export interface UsageLimit {
  /** Whose limit, in our words: "claude usage limit", "codex rate limit (HTTP 429)", "gemini quota", … */
  what: string;
  /** When the output says the window opens again, if it says so and it could be read. */
  resetAt?: Date | undefined;
}

export interface UsageLimitInput {
  exitCode: number | undefined;
  /** The end of this run's part of the agent log (see runLogTail). */
  logTail: string;
  now: Date;
}

/** The limit is the agent's last word: only the end of the log is looked at. */
const LAST_LINES = 40;

/** A line longer than this is not one of the CLIs' limit events or messages. */
const MAX_LINE_CHARS = 16 * 1024;

/** `exact`: the reset came as an epoch from a structured event, not as words rounded to the minute or hour. */
type Found = { what: string; resetAt?: Date | undefined; exact?: boolean };

const APOSTROPHE = "['\u2019]";

/**
 * Plain-text wordings, first match wins. Each names whose limit it is and
 * where the reset time, if any, is in the match.
 */
const TEXT_RULES: ReadonlyArray<{ pattern: RegExp; what: string; reset?: (match: RegExpExecArray, now: Date) => Date | undefined }> = [
  // claude before 1.0.x (still in its issue tracker): "Claude AI usage limit reached|1760000000".
  { pattern: /Claude AI usage limit reached\|(\d{1,12})\b/, what: 'claude usage limit', reset: (m) => epochSeconds(Number(m[1])) },
  // codex (codex-rs UsageLimitReachedError): "You’ve hit your usage limit. … try again at 3:51 PM." (or "Sep 29th, 2026 12:55 AM", or "in 4 days 3 hours").
  {
    pattern: new RegExp(`You${APOSTROPHE}ve hit your usage limit\\.[^\\n]*`, 'i'),
    what: 'codex usage limit',
    reset: (m, now) => parseResetTime(afterWord(m[0], /try again (?=at |in )/i), now),
  },
  // claude 2.x (its rate-limit messages): "You've hit your session limit · resets 3pm (America/New_York)".
  {
    pattern: new RegExp(`You${APOSTROPHE}ve hit your [^\\n.·∙]{0,60}?limit(?![.\\w])[^\\n]*`, 'i'),
    what: 'claude usage limit',
    reset: (m, now) => parseResetTime(afterWord(m[0], /[·∙•]\s*resets /), now),
  },
  // claude 1.x: "5-hour limit reached ∙ resets 3pm", "Opus weekly limit reached ∙ resets Oct 9, 10am".
  {
    pattern: /\b(?:5-hour|session|weekly|Opus weekly|Opus|Sonnet) limit reached\s*[·∙•]\s*resets [^\n]*/i,
    what: 'claude usage limit',
    reset: (m, now) => parseResetTime(afterWord(m[0], /resets /), now),
  },
  // The Anthropic API through claude: "API Error: Request rejected (429) · …", "API Error: 429 {…rate_limit_error…}".
  { pattern: /"type"\s*:\s*"rate_limit_error"|API Error: (?:429\b|Request rejected \(429\)|Server is temporarily limiting requests)/, what: 'Anthropic API rate limit' },
  // codex with an API key: "exceeded retry limit, last status: 429 Too Many Requests"; "Quota exceeded. Check your plan and billing details."
  { pattern: /exceeded retry limit, last status: 429|unexpected status 429 Too Many Requests/, what: 'codex rate limit (HTTP 429)' },
  { pattern: /Quota exceeded\. Check your plan and billing details/, what: 'codex quota' },
  // gemini (classifyGoogleError, parseAndFormatApiError): daily quota, "Usage limit reached for <model>.", RESOURCE_EXHAUSTED, "Please retry in 37.9s".
  {
    pattern: /You have exhausted your daily quota|Usage limit reached for [\w.-]+\.|\(Status: RESOURCE_EXHAUSTED\)|"status"\s*:\s*"RESOURCE_EXHAUSTED"|You exceeded your current quota|Quota exceeded for quota metric|Resource has been exhausted/,
    what: 'gemini quota',
    reset: (m, now) => retryIn(m.input, now),
  },
];

function epochSeconds(seconds: number): Date | undefined {
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

/** The text after `word` in `text`, or undefined when it is not there. */
function afterWord(text: string, word: RegExp): string | undefined {
  const match = word.exec(text);
  return match === null ? undefined : text.slice(match.index + match[0].length);
}

/** gemini's "Please retry in 37.926s" / "Suggested retry after 60s.": a delay from now. */
function retryIn(text: string, now: Date): Date | undefined {
  const match = /(?:Please retry in|Suggested retry after) ([0-9]{1,9}(?:\.[0-9]+)?)(ms|s)\b/.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  return new Date(now.getTime() + ms);
}

function inText(text: string, now: Date): Found | undefined {
  for (const rule of TEXT_RULES) {
    const match = rule.pattern.exec(text);
    if (match !== null) return { what: rule.what, resetAt: rule.reset?.(match, now) };
  }
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** claude's assistant message text (the error turn carries the limit message as its only text block). */
function assistantText(event: Record<string, unknown>): string {
  const content = record(event.message)?.content;
  if (!Array.isArray(content)) return '';
  return content.map((block) => text(record(block)?.text)).join('\n');
}

/**
 * The JSON events the CLIs print, in the fields they put a limit in:
 * claude's rate_limit_event (status "rejected", resetsAt in epoch seconds),
 * its result (is_error, api_error_status 429) and its error turn (error
 * "rate_limit"); codex's error and turn.failed; gemini's error result
 * (error.type TerminalQuotaError / RetryableQuotaError).
 */
function inEvent(event: Record<string, unknown>, now: Date): Found | undefined {
  switch (event.type) {
    case 'rate_limit_event': {
      const info = record(event.rate_limit_info);
      if (info?.status !== 'rejected') return undefined;
      return { what: 'claude usage limit', resetAt: typeof info.resetsAt === 'number' ? epochSeconds(info.resetsAt) : undefined, exact: true };
    }
    case 'assistant':
      if (event.error !== 'rate_limit') return undefined;
      return inText(assistantText(event), now) ?? { what: 'claude rate limit' };
    case 'result': {
      if (event.is_error === true) {
        const found = inText(text(event.result), now);
        return found ?? (event.api_error_status === 429 ? { what: 'claude rate limit (HTTP 429)' } : undefined);
      }
      const error = record(event.error);
      if (event.status !== 'error' || error === undefined) return undefined;
      const found = inText(text(error.message), now);
      if (found !== undefined) return found;
      return error.type === 'TerminalQuotaError' || error.type === 'RetryableQuotaError' ? { what: 'gemini quota', resetAt: retryIn(text(error.message), now) } : undefined;
    }
    case 'error':
      return inText(text(event.message), now);
    case 'turn.failed':
      return inText(text(record(event.error)?.message), now);
    default:
      return undefined;
  }
}

function inLine(line: string, now: Date): Found | undefined {
  if (line.length > MAX_LINE_CHARS) return undefined;
  if (!line.startsWith('{')) return inText(line, now);
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return inText(line, now);
  }
  const fields = record(event);
  return fields === undefined ? undefined : inEvent(fields, now);
}

/**
 * Whether the agent stopped at a usage or rate limit, or undefined. Only a
 * run that ended with a non-zero code: a CLI that retried and went on to
 * finish was not stopped by its limit. A claude run reports the limit in
 * several lines (the rate-limit event with the exact reset, the error turn,
 * the result): the last line names the limit, and the reset time is the
 * exact one if any line has it, else the last one named.
 */
export function classifyUsageLimit(input: UsageLimitInput): UsageLimit | undefined {
  if (input.exitCode === undefined || input.exitCode === 0) return undefined;
  const lines = thisRunsPart(input.logTail)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-LAST_LINES);
  let last: Found | undefined;
  let named: Date | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const found = inLine(lines[i] as string, input.now);
    if (found === undefined) continue;
    last ??= found;
    if (found.resetAt !== undefined && found.exact === true) return { what: last.what, resetAt: found.resetAt };
    named ??= found.resetAt;
  }
  return last === undefined ? undefined : { what: last.what, resetAt: named };
}
