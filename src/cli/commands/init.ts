import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_CONFIG, userConfigPath } from '../../config/load-config.js';
import { AgentctlError, ExitCode, usageError } from '../../core/errors.js';
import { answersProblem, INIT_QUESTIONS, renderStarterConfig, withDefaults, type InitAnswers, type InitKey } from '../../core/init/starter-config.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import type { Deps } from '../deps.js';
import { initOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';
import { stdinAsker, type Asker } from '../prompt.js';

const FLAG: Record<InitKey, string> = {
  agent: '--agent',
  forgeKind: '--forge-kind',
  forgeUrl: '--forge-url',
  org: '--org',
  tokenEnv: '--token-env',
  runtime: '--runtime',
};

/** A wrong answer is asked again this often before init gives up. */
const TRIES = 3;

export interface InitSeams {
  /** How questions are asked on a terminal; stdin by default. */
  asker?: (write: (text: string) => void) => Promise<Asker>;
}

async function askMissing(given: Partial<InitAnswers>, asker: Asker, deps: Deps): Promise<Partial<InitAnswers>> {
  const answers: Partial<InitAnswers> = { ...given };
  for (const question of INIT_QUESTIONS) {
    if (given[question.key] !== undefined) continue;
    const fallback = question.defaultFor(answers);
    for (let attempt = 1; ; attempt += 1) {
      const line = await asker.ask(`${question.text} [${fallback}]: `);
      // End of input: the defaults for everything left.
      if (line === undefined) return answers;
      const value = line.trim() === '' ? fallback : line.trim();
      const problem = question.problem(value);
      if (problem === undefined) {
        (answers as Record<string, string>)[question.key] = value;
        break;
      }
      if (attempt >= TRIES) throw usageError('invalid_answer', `init: ${JSON.stringify(value)} is not a valid answer: ${problem}`, `pass it as ${FLAG[question.key]} instead`);
      deps.io.err(`  ${problem}\n`);
    }
  }
  return answers;
}

export async function run(raw: unknown, deps: Deps, seams: InitSeams = {}): Promise<number> {
  const opts = parseOptions(initOp.input, raw, 'init');
  const scope = opts.project ? 'project' : 'user';
  const path = opts.project ? join(deps.cwd, PROJECT_CONFIG) : userConfigPath(deps.env, deps.home);
  const existed = existsSync(path);
  if (existed && !opts.force) {
    throw usageError('config_exists', `${path} already exists; not overwriting it`, 'pass --force to replace it, or edit it by hand ("agentctl config show" prints the merged config)');
  }

  const given: Partial<InitAnswers> = {};
  for (const key of Object.keys(FLAG) as InitKey[]) {
    const value = opts[key];
    if (value === undefined) continue;
    const problem = INIT_QUESTIONS.find((q) => q.key === key)?.problem(value);
    if (problem !== undefined) throw usageError('invalid_option', `init: ${FLAG[key]} ${JSON.stringify(value)}: ${problem}`, 'see "agentctl init --help"');
    (given as Record<string, string>)[key] = value;
  }

  let chosen = given;
  if (deps.io.stdinIsTTY && INIT_QUESTIONS.some((q) => given[q.key] === undefined)) {
    deps.io.err(`agentctl init: a few questions for ${path} (Enter takes the [default])\n`);
    const asker = await (seams.asker ?? stdinAsker)((text) => deps.io.err(text));
    try {
      chosen = await askMissing(given, asker, deps);
    } finally {
      asker.close();
    }
  }
  const answers = withDefaults(chosen);
  const problem = answersProblem(answers);
  if (problem !== undefined) throw usageError('invalid_option', `init: ${FLAG[problem[0]]}: ${problem[1]}`, 'see "agentctl init --help"');

  const text = renderStarterConfig(answers, scope);
  // Never write a file agentctl itself would refuse.
  const { parseConfigText } = await import('../../core/config/parse-config.js');
  parseConfigText(text, path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, text);
  } catch (error) {
    throw new AgentctlError('config_unwritable', `cannot write ${path}: ${(error as Error).message}`, {
      exitCode: ExitCode.environment,
      hint: opts.project ? 'run it in a directory you can write to' : 'check the permissions of the directory, or set XDG_CONFIG_HOME',
      cause: error,
    });
  }

  if (opts.json) {
    deps.io.out(`${JSON.stringify({ path, scope, overwritten: existed, answers }, null, 2)}\n`);
  } else {
    deps.io.out(`${path}\n`);
    deps.io.err(`${existed ? 'replaced' : 'wrote'} the ${scope} config; next: export ${answers.tokenEnv}=<token>, then "agentctl doctor"\n`);
  }
  return ExitCode.ok;
}
