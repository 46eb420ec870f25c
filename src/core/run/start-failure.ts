/**
 * An agent that never got going: its CLI is missing, refuses to run as root,
 * or rejects the flags agentctl passes. Such a run cost nothing and says
 * nothing about the task, so it ends with what to install or change, and the
 * pool's fast-failure backoff leaves it out (a broken image would otherwise
 * just pause the pool with no word of why).
 *
 * Classified from the exit code and the end of the agent log, which the agent
 * writes: so only fixed wordings of the shells and of the real CLIs' option
 * parsers are matched, only while the agent reported no model turn, and the
 * reason and hint are our own words, never text from the log.
 */
export type StartFailureKind = 'cli-missing' | 'runs-as-root' | 'flags-rejected';

export interface StartFailure {
  kind: StartFailureKind;
  reason: string;
  hint: string;
}

export interface StartFailureInput {
  exitCode: number | undefined;
  /** The end of this run's part of the agent log (see runLogTail). */
  logTail: string;
  /** The program the agent's argv starts with, e.g. "claude". */
  cli: string;
  /** The agent as configured, e.g. "claude" or "codex:review". */
  agent: string;
  /** Where it ran: in a container of this image, or on the host. */
  where: { kind: 'container'; image: string } | { kind: 'host' };
  /** The agent reported a turn or usage: it started, whatever it printed later. */
  agentSpoke: boolean;
}

/** The npm packages of the built-in agent CLIs, at the versions agentctl's contract tests pin (see Containerfile). */
export const AGENT_CLI_PACKAGES: Readonly<Record<string, string>> = {
  claude: '@anthropic-ai/claude-code@2.1.197',
  codex: '@openai/codex@0.169.0',
  gemini: '@google/gemini-cli@0.61.0',
};

/** How much of the log's end is looked at: a CLI that refuses to start prints its complaint and at most its help (gemini's is ~4 KiB). */
export const START_FAILURE_TAIL_BYTES = 16 * 1024;

/** The line the wrapper's caller writes at the start of each run (launchRun): only what follows it is this run's. */
export const RUN_MARKER = '=== agentctl run ';

/** sh (dash, busybox, bash) and env, when the program is not on PATH. */
const NOT_FOUND = [/: (?:command )?not found\s*$/m, /No such file or directory\s*$/m];

const ROOT_REFUSAL = /cannot be used with root\/sudo privileges/;

/**
 * Option-parser rejections, as the installed CLIs print them: commander
 * (claude), clap (codex), yargs (gemini), and claude's own check of
 * --output-format stream-json without --verbose.
 */
const FLAG_REJECTIONS: readonly RegExp[] = [
  /^error: unknown option '([^'\s]+)'/m,
  /^error: option '([^'\s]+)[^']*' argument '[^']*' is invalid/m,
  /^error: too many arguments/m,
  /^error: unexpected argument '([^'\s]+)' found/m,
  /^error: invalid value '[^']*' for '([^'\s]+)/m,
  /^error: unrecognized subcommand '([^'\s]+)'/m,
  /^Unknown arguments?: ([^\s,]+)/m,
  /^Invalid values:\s*$/m,
  /^(?:Error: )?When using --print, --output-format=stream-json requires --verbose/m,
];

/** A flag name as printed by a parser, shown only when it looks like one. */
function flagName(match: RegExpExecArray): string | undefined {
  const name = match[1];
  if (name === undefined || !/^-{0,2}[A-Za-z0-9][A-Za-z0-9-]{0,40}$/.test(name)) return undefined;
  return name.startsWith('-') || match[0].startsWith('error: unrecognized') ? name : `--${name}`;
}

function install(cli: string): string {
  const pkg = AGENT_CLI_PACKAGES[cli];
  return pkg === undefined ? `install ${cli}` : `install ${cli} (npm install -g ${pkg})`;
}

function missing(input: StartFailureInput): StartFailure {
  const { cli, agent, where } = input;
  if (where.kind === 'host') {
    return {
      kind: 'cli-missing',
      reason: `the agent CLI "${cli}" was not found on this machine (exit code 127): ${agent} never started`,
      hint: `${install(cli)} so it is on the PATH agentctl runs with, or change agents.${agent.split(':')[0]}`,
    };
  }
  return {
    kind: 'cli-missing',
    reason: `the agent CLI "${cli}" was not found in the image ${where.image} (exit code 127): ${agent} never started`,
    hint: `use an image that has ${cli}: "agentctl image build" makes one with claude, codex and gemini; or set agents.${agent.split(':')[0]}.image (or runtime.image) to an image where ${cli} is on PATH; "agentctl doctor" checks it`,
  };
}

function asRoot(input: StartFailureInput): StartFailure {
  const { cli, where } = input;
  const hint =
    where.kind === 'host'
      ? `run agentctl as an ordinary user for host agents, or run ${cli} in a container (remove host: true from its agent settings), where agentctl runs it as uid 1000 or yours`
      : `the image ${where.image} made ${cli} run as root: agentctl asks for your uid (or 1000:1000 when you are root), so use an image whose ${cli} does not switch to root, or run agentctl as an ordinary user`;
  return { kind: 'runs-as-root', reason: `${cli} refuses to run as root with --dangerously-skip-permissions: the agent never started`, hint };
}

function flagsRejected(input: StartFailureInput, flag: string | undefined): StartFailure {
  const { cli, agent, where } = input;
  const pinned = AGENT_CLI_PACKAGES[cli];
  const which = where.kind === 'host' ? `the ${cli} on this machine` : `the ${cli} in the image ${where.image}`;
  const version = pinned === undefined ? '' : `; agentctl is tested with ${pinned.slice(pinned.lastIndexOf('@') + 1)}`;
  const fix =
    pinned === undefined
      ? `fix the command of agents.${agent.split(':')[0]} in the config`
      : `${where.kind === 'host' ? install(cli) : `rebuild the image with that version ("agentctl image build")`}, or remove the offending entry from agents.${agent.split(':')[0]}.args`;
  return {
    kind: 'flags-rejected',
    reason: `${which} rejected ${flag === undefined ? 'the command line agentctl gave it' : `the option ${flag}`}: the agent never started`,
    hint: `${fix}${version}; "agentctl doctor" shows the version found`,
  };
}

/** Only the part of a log written since the last run marker: an older run's failure is not this one's. */
export function thisRunsPart(tail: string): string {
  const at = tail.lastIndexOf(RUN_MARKER);
  return at < 0 ? tail : tail.slice(tail.indexOf('\n', at) + 1);
}

/** Why the agent never started, or undefined when it did (or nothing says it did not). */
export function classifyStartFailure(input: StartFailureInput): StartFailure | undefined {
  if (input.exitCode === undefined || input.exitCode === 0 || input.agentSpoke) return undefined;
  const text = thisRunsPart(input.logTail);
  if (input.exitCode === 127 && NOT_FOUND.some((pattern) => pattern.test(text))) return missing(input);
  if (ROOT_REFUSAL.test(text)) return asRoot(input);
  for (const pattern of FLAG_REJECTIONS) {
    const match = pattern.exec(text);
    if (match !== null) return flagsRejected(input, flagName(match));
  }
  return undefined;
}
