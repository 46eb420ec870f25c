import { isAgentctlError, ExitCode } from '../core/errors.js';
import { agentctlVersion as version } from '../version.js';
import { endQuietlyOnBrokenPipe } from './broken-pipe.js';
import type { Deps } from './deps.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

type CommandModule = { run(opts: unknown, deps: Deps): Promise<number> };

function printError(error: unknown, deps: Deps, debug: boolean): number {
  if (isAgentctlError(error)) {
    deps.io.err(`agentctl: ${error.message}\n`);
    if (error.hint !== undefined) deps.io.err(`hint: ${error.hint.replace(/\n/g, '\n  ')}\n`);
    if (debug) deps.io.err(`${error.stack ?? ''}\n${error.cause instanceof Error ? `caused by: ${error.cause.stack ?? ''}\n` : ''}`);
    return error.exitCode;
  }
  deps.io.err(`agentctl: unexpected error: ${(error as Error).message ?? String(error)}\n`);
  deps.io.err(debug ? `${(error as Error).stack ?? ''}\n` : 'hint: run again with --debug for details, and report it if it persists\n');
  return ExitCode.failure;
}

/** Parse argv and run one command; returns the exit code. Nothing here exits the process. */
export async function main(argv: string[], makeDeps: () => Deps | Promise<Deps>): Promise<number> {
  const args = argv.slice(2);
  // The fast path keeps `--version` at bare-Node speed: no commander, no zod.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const deps = await makeDeps();
  const debug = args.includes('--debug');
  const { Command, CommanderError, Option } = await import('commander');
  let exitCode: number = ExitCode.ok;
  const invoke = (load: () => Promise<CommandModule>, fixed: Record<string, unknown> = {}) => async (...actionArgs: unknown[]) => {
    const command = actionArgs.at(-1) as InstanceType<typeof Command>;
    const opts = { ...command.optsWithGlobals() };
    delete opts.debug;
    const mod = await load();
    exitCode = await mod.run({ ...opts, ...fixed, args: command.args }, deps);
  };

  const program = new Command('agentctl')
    .description('Run AI coding agents on real work, safely.')
    .version(version(), '-V, --version')
    .option('--debug', 'show stack traces on errors')
    .option('--config <file>', 'read this config file after the user and project ones')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.io.out(s), writeErr: (s) => deps.io.err(s) })
    .showSuggestionAfterError(true);

  // Only the command being run is set up (when it is named first): building all of them costs every run.
  const definitions: [string, () => void][] = [];
  const define = (name: string, build: () => void) => definitions.push([name, build]);

  define('dispatch', () => {
    program
      .command('dispatch')
      .description('prepare a workspace and run an agent on it')
      .requiredOption('--repo <repo>', 'org/name, a git URL, or a local path')
      .option('--task <text>', 'what the agent should do')
      .option('--task-file <file>', 'read the task from a file')
      .option('--agent <name[:model]>', 'agent to run (default from config: codex)')
      .option('--issue <n>', 'work on issue N (workspace task-N)')
      .option('--pr <n>', 'work on pull request N (workspace pr-N)')
      .option('--branch <name>', 'work on this branch')
      .option('--tag <name>', 'check out this tag, detached and read-only')
      .option('--org <org>', 'org for a bare repo name')
      .option('--template <name|file>', 'main prompt template')
      .option('--persona <name>', 'persona to include')
      .option('--plan-template <name>', 'plan to include')
      .option('--var <key=value>', 'template variable (repeatable)', collect, [])
      .option('--runtime <name>', 'auto, docker, podman or apple')
      .option('--gpu', 'pass GPUs to the agent container')
      .option('--dry-run', 'prepare everything and show the prompt and command, without starting the agent')
      .option('--wait', 'follow the run to its end, showing its progress; the exit code tells the outcome')
      .option('--wait-timeout <seconds>', 'with --wait: stop waiting (not the run) after this many seconds; exit 14')
      .option('--timeout <seconds>', 'stop the agent after this many seconds')
      .option('--priority <n>', 'queue priority; higher starts first (default 0)')
      .option('--idle-timeout <seconds>', 'stop the agent when it prints nothing for this long')
      .option('--max-budget-usd <amount>', 'stop the agent once its reported cost passes this')
      .option('--push', 'after a completed run whose QA did not fail: commit, push the branch and open a PR')
      .option('--comment', 'post the review as one comment on the PR (review agents)')
      .option('--json', 'print one JSON object')
      .action(invoke(() => import('./commands/dispatch.js')));
  });

  define('status', () => {
    program
      .command('status')
      .description('show runs, finishing any whose agent has ended')
      .argument('[workspace]', 'a workspace path, or org/repo/slot')
      .option('--json', 'print JSON')
      .option('--watch', 'a live dashboard on a terminal (keys: up/down, l log, c cancel, q quit); otherwise print changes as lines until nothing is queued or running')
      .action(invoke(() => import('./commands/status.js')));
  });

  define('run-queue', () => {
    program
      .command('run-queue')
      .description('start queued runs and finish ended ones; --follow keeps at it until the queue is empty (for CI)')
      .option('--follow', 'keep going until nothing is queued or running')
      .addOption(new Option('--supervise', 'run as the background supervisor').hideHelp())
      .option('--json', 'print JSON lines')
      .action(invoke(() => import('./commands/run-queue.js')));
  });

  define('cancel', () => {
    program
      .command('cancel')
      .description('cancel a queued run, or stop a running one')
      .argument('<workspace>', 'a workspace path, or org/repo/slot')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/cancel.js')));
  });

  define('resume', () => {
    program
      .command('resume')
      .description("continue a finished claude run's session")
      .argument('<workspace>', 'a workspace path, or org/repo/slot')
      .option('--task <text>', 'what to tell the agent', 'Continue where you left off.')
      .option('--wait', 'follow the run to its end')
      .option('--wait-timeout <seconds>', 'with --wait: stop waiting (not the run) after this many seconds; exit 14')
      .option('--timeout <seconds>', 'stop the agent after this many seconds')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/resume.js')));
  });

  define('answer', () => {
    program
      .command('answer')
      .description("answer a blocked run's question and resume it")
      .argument('<workspace>', 'a workspace path, or org/repo/slot')
      .argument('[text]', 'the answer')
      .option('--from-forge', 'take the newest reply after the question on the issue or PR')
      .option('--wait', 'follow the resumed run to its end')
      .option('--wait-timeout <seconds>', 'with --wait: stop waiting (not the run) after this many seconds; exit 14')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/answer.js')));
  });

  define('replay', () => {
    program
      .command('replay')
      .description("dispatch again what a run's manifest recorded")
      .argument('<workspace>', 'a workspace path, or org/repo/slot')
      .option('--dry-run', 'prepare and show, without starting the agent')
      .option('--wait', 'follow the run to its end')
      .option('--wait-timeout <seconds>', 'with --wait: stop waiting (not the run) after this many seconds; exit 14')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/replay.js')));
  });

  define('freeze', () => {
    program
      .command('freeze')
      .description('stop starting new runs; queued runs wait, running ones go on')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/freeze.js'), { frozen: true }));
  });

  define('thaw', () => {
    program
      .command('thaw')
      .description('start runs again after freeze')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/freeze.js'), { frozen: false }));
  });

  define('pool', () => {
    const pool = program.command('pool').description('pools of agents');
    pool
      .command('resume')
      .description("lift a pool's backoff pause early")
      .argument('<pool>', 'pool name, e.g. codex')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/pool-resume.js')));
  });

  define('gc', () => {
    program
      .command('gc')
      .description('remove finished workspaces; never queued or running ones')
      .option('--older-than <age>', 'only workspaces finished longer ago than this (30m, 12h, 7d)', '7d')
      .option('--dry-run', 'only list what would be removed')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/gc.js')));
  });

  define('logs', () => {
    program
      .command('logs')
      .description("print a run's agent log; -f follows it until the run ends")
      .argument('<workspace>', 'a workspace path, or org/repo/slot')
      .option('-f, --follow', 'keep printing new output until the run has ended')
      .option('--raw', "the agent's own output, not the text and tool lines parsed from it (claude, codex, gemini)")
      .option('--json', 'print JSON lines {"line": ...} of the agent\'s own output')
      .action(invoke(() => import('./commands/logs.js')));
  });

  define('events', () => {
    program
      .command('events')
      .description('print the event log (queued, started, finished, backoff, ...); --follow tails it')
      .option('-f, --follow', 'keep printing new events')
      .option('--workspace <workspace>', "one run's own events, its agent's included, instead of the global log")
      .option('--json', 'print each event as a JSON line')
      .action(invoke(() => import('./commands/events.js')));
  });

  define('image', () => {
    const image = program.command('image').description('the agent image');
    image
      .command('build')
      .description('build the agent image from the Containerfile shipped with agentctl')
      .option('--runtime <name>', 'auto, docker, podman or apple')
      .option('--base <image>', 'base image, a Debian 12 (default debian:bookworm-slim)')
      .option('--tag <image>', 'name of the image (default: the configured image)')
      .option('--ca-file <file>', 'extra CA certificates (PEM) to trust in the image (default: $NODE_EXTRA_CA_CERTS)')
      .option('--json', 'print one JSON object at the end')
      .action(invoke(() => import('./commands/image-build.js')));
    image
      .command('status')
      .description('whether the configured image exists, its id, and the agent CLI versions inside')
      .option('--runtime <name>', 'auto, docker, podman or apple')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/image-status.js')));
  });

  define('doctor', () => {
    program
      .command('doctor')
      .description('check this machine: engines, image, GPU, API keys, forges, git, state dir, Node')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/doctor.js')));
  });

  define('init', () => {
    program
      .command('init')
      .description('write a commented starter config (asks a few questions on a terminal)')
      .option('--project', 'write .agentctl.yaml in this directory instead of the user file')
      .option('--force', 'replace an existing file')
      .option('--agent <name[:model]>', 'default agent')
      .option('--org <org>', 'default org for bare repo names')
      .option('--forge-kind <kind>', 'github, forgejo or gitea')
      .option('--forge-url <url>', 'forge base URL, e.g. https://github.com')
      .option('--token-env <NAME>', 'name of the variable that holds the forge token')
      .option('--runtime <name>', 'auto, docker, podman or apple')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/init.js')));
  });

  define('config', () => {
    const config = program.command('config').description('inspect configuration');
    config
      .command('show')
      .description('print the merged configuration (secrets by name only)')
      .option('--json', 'print JSON')
      .action(invoke(() => import('./commands/config-show.js')));
  });

  const only = definitions.some(([name]) => name === args[0]) ? args[0] : undefined;
  for (const [name, build] of definitions) if (only === undefined || name === only) build();

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    return printError(error, deps, debug);
  }
}

/** The process entry point used by bin/agentctl. */
export async function cli(proc: NodeJS.Process): Promise<number> {
  endQuietlyOnBrokenPipe(proc);
  // The real deps (and what they import) load only past the --version fast path.
  return main(proc.argv, async () => (await import('./deps.js')).realDeps(proc));
}
