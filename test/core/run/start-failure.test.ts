import { describe, expect, it } from 'vitest';
import { classifyStartFailure, RUN_MARKER, type StartFailureInput, type StartFailureKind } from '../../../src/core/run/start-failure.js';

const container = { kind: 'container', image: 'localhost/agentctl-agent:latest' } as const;
const input = (overrides: Partial<StartFailureInput>): StartFailureInput => ({
  exitCode: 1,
  logTail: '',
  cli: 'claude',
  agent: 'claude',
  where: container,
  agentSpoke: false,
  ...overrides,
});

// The wordings as the shells and the installed CLIs print them (claude 2.1.197, codex 0.169.0, gemini 0.61.0).
const GEMINI_HELP = `Usage: gemini [options] [command]\n\nGemini CLI - Defaults to interactive mode.\n${'  --option  text  [string]\n'.repeat(100)}`;

describe('classifyStartFailure', () => {
  it.each<[string, Partial<StartFailureInput>, StartFailureKind | undefined, RegExp | undefined]>([
    ['dash: CLI not on PATH', { exitCode: 127, logTail: 'agentctl-run: 1: claude: not found\n' }, 'cli-missing', /"claude" was not found in the image localhost\/agentctl-agent:latest/],
    ['busybox sh: CLI not on PATH', { exitCode: 127, logTail: 'agentctl-run: line 0: claude: not found\n' }, 'cli-missing', /exit code 127/],
    ['bash: command not found', { exitCode: 127, logTail: 'agentctl-run: line 1: codex: command not found\n', cli: 'codex', agent: 'codex' }, 'cli-missing', /"codex"/],
    ['env: no such file', { exitCode: 127, logTail: 'env: ‘gemini’: No such file or directory\n', cli: 'gemini', agent: 'gemini' }, 'cli-missing', /"gemini"/],
    ['on the host', { exitCode: 127, logTail: 'agentctl-run: 1: claude: not found\n', where: { kind: 'host' } }, 'cli-missing', /not found on this machine/],
    ['127 without the shell saying so is not a guess', { exitCode: 127, logTail: 'something else\n' }, undefined, undefined],
    ['"not found" with another exit code is the task failing', { exitCode: 1, logTail: 'grep: pattern not found\n' }, undefined, undefined],
    ['claude refuses root', { logTail: '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\n' }, 'runs-as-root', /refuses to run as root/],
    ['claude: commander unknown option', { logTail: "error: unknown option '--bogus-flag'\n" }, 'flags-rejected', /rejected the option --bogus-flag/],
    ['claude: commander invalid choice', { logTail: "error: option '--output-format <format>' argument 'bogus' is invalid. Allowed choices are text, json, stream-json.\n" }, 'flags-rejected', /the option --output-format/],
    ['claude: stream-json without --verbose', { logTail: 'Error: When using --print, --output-format=stream-json requires --verbose\n' }, 'flags-rejected', /rejected the command line/],
    [
      'codex: clap unexpected argument',
      { exitCode: 2, cli: 'codex', agent: 'codex', logTail: "error: unexpected argument '--bogus' found\n\n  tip: to pass '--bogus' as a value, use '-- --bogus'\n\nUsage: codex exec [OPTIONS] [PROMPT]\n" },
      'flags-rejected',
      /the codex in the image .* rejected the option --bogus/,
    ],
    ['codex: clap unrecognized subcommand', { exitCode: 2, cli: 'codex', agent: 'codex:review', logTail: "error: unrecognized subcommand 'review'\n" }, 'flags-rejected', /the option review/],
    ['gemini: yargs unknown arguments, then its help', { cli: 'gemini', agent: 'gemini', logTail: `Unknown arguments: bogus-thing, bogusThing\n${GEMINI_HELP}` }, 'flags-rejected', /the option --bogus-thing/],
    ['gemini: yargs invalid values', { cli: 'gemini', agent: 'gemini', logTail: `Invalid values:\n  Argument: output-format, Given: "xml", Choices: "text", "json", "stream-json"\n${GEMINI_HELP}` }, 'flags-rejected', /rejected the command line/],
    ['an agent that reported a turn started, whatever it printed', { agentSpoke: true, logTail: "error: unknown option '--x'\n" }, undefined, undefined],
    ['exit 0 never is one', { exitCode: 0, logTail: "error: unknown option '--x'\n" }, undefined, undefined],
    ['no exit code (vanished) is not one', { exitCode: undefined, logTail: 'agentctl-run: 1: claude: not found\n' }, undefined, undefined],
    ['an ordinary failure', { logTail: '{"type":"result","subtype":"error"}\n' }, undefined, undefined],
    [
      "an earlier run's failure is not this run's",
      { logTail: `${RUN_MARKER}1: claude started\nagentctl-run: 1: claude: not found\n${RUN_MARKER}2: claude started\nsomething broke\n`, exitCode: 127 },
      undefined,
      undefined,
    ],
    ['only this run is read', { logTail: `${RUN_MARKER}1: claude started\nold\n${RUN_MARKER}2: claude started\nagentctl-run: 1: claude: not found\n`, exitCode: 127 }, 'cli-missing', /claude/],
  ])('%s', (_name, overrides, kind, reason) => {
    const verdict = classifyStartFailure(input(overrides));
    expect(verdict?.kind).toBe(kind);
    if (reason !== undefined) expect(verdict?.reason).toMatch(reason);
  });

  it.each<[string, Partial<StartFailureInput>, RegExp]>([
    ['a missing CLI in a container names the image build', { exitCode: 127, logTail: 'sh: 1: claude: not found\n' }, /agentctl image build.*agents\.claude\.image/],
    ['a missing CLI on the host names the npm package', { exitCode: 127, logTail: 'sh: 1: claude: not found\n', where: { kind: 'host' } }, /npm install -g @anthropic-ai\/claude-code@2\.1\.197/],
    ['root on the host: run as an ordinary user', { logTail: 'cannot be used with root/sudo privileges', where: { kind: 'host' } }, /ordinary user/],
    ['rejected flags name the tested version and the args setting', { logTail: "error: unknown option '--x'" }, /agents\.claude\.args.*tested with 2\.1\.197/],
    ['a custom agent is pointed at its command', { cli: 'mybot', agent: 'mybot', logTail: "error: unknown option '--x'" }, /agents\.mybot/],
  ])('hint: %s', (_name, overrides, hint) => {
    expect(classifyStartFailure(input(overrides))?.hint).toMatch(hint);
  });

  it('never repeats a flag that does not look like one', () => {
    const verdict = classifyStartFailure(input({ logTail: "error: unknown option '--$(touch${IFS}x)'\n" }));
    expect(verdict?.kind).toBe('flags-rejected');
    expect(verdict?.reason).not.toContain('touch');
  });
});
