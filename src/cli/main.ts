import { isAgentctlError, ExitCode } from '../core/errors.js';
import { agentctlVersion as version } from '../version.js';
import { endQuietlyOnBrokenPipe } from './broken-pipe.js';
import type { Deps } from './deps.js';
import type { CommandModule } from './operations/operation.js';


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
  const { operations, GROUPS } = await import('./operations/index.js');
  const { addOperation, examplesOf: examplesIn } = await import('./operations/commander.js');
  const examplesOf = (first?: string) => examplesIn(operations.filter((op) => op.command !== undefined && (first === undefined ? op.path.length === 1 : op.path[0] === first)));
  program.addHelpText('after', examplesOf());
  const only = operations.some((op) => op.path[0] === args[0]) ? args[0] : undefined;
  const groups = new Map<string, InstanceType<typeof Command>>();
  for (const op of operations) {
    const [first, second] = op.path as [string, string | undefined];
    if (op.command === undefined || (only !== undefined && first !== only)) continue;
    let parent = program;
    if (second !== undefined) {
      parent = groups.get(first) ?? program.command(first).description(GROUPS[first] ?? first).addHelpText('after', examplesOf(first));
      groups.set(first, parent);
    }
    addOperation(parent, second ?? first, op, Option, invoke(op.command, op.fixed));
  }

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
