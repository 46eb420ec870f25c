import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { dirname, join } from 'node:path';

/**
 * Where the contract tests find the real agent CLIs, and how they run them.
 * test/support/agent-clis.sh installs them (and the user agentctl-test);
 * `eval "$(bash test/support/agent-clis.sh env)"` sets AGENTCTL_TEST_AGENT_CLIS.
 */
export const DEFAULT_AGENT_CLIS = '/tmp/agentctl-agent-clis/node_modules/.bin';
export const TEST_USER = 'agentctl-test';
export const IN_CI = process.env.CI === 'true';
/** Node 24, the one running the tests: the CLIs and agentctl need it on PATH. */
export const NODE_DIR = dirname(process.execPath);
/** Every CLI run is bounded by this. */
export const CLI_TIMEOUT_MS = 30_000;

const SETUP_HINT = 'run "bash test/support/agent-clis.sh all" and eval "$(bash test/support/agent-clis.sh env)"';

export interface RunUser {
  uid: number;
  gid: number;
  /** Set when the tests run as root: commands go through `su NAME`. */
  su: string | undefined;
}

export interface ContractSetup {
  /** Directory holding the CLIs, when found. */
  dir: string;
  user: RunUser | undefined;
  /** What is missing, in words; undefined when all is there. */
  problem: string | undefined;
  /** Skip the suite: something is missing and this is not CI (where missing is a failure). */
  skip: boolean;
}

function lookUpUser(name: string): RunUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid, su: name };
  } catch {
    return undefined;
  }
}

/**
 * Find the CLIs `names` and, with `nonRoot`, an ordinary user to run them as.
 * Locally a missing piece skips the suite (with the reason printed); in CI
 * (CI=true) it does not skip, and the suite's beforeAll fails with `problem`.
 */
export function contractSetup(suite: string, names: string[], options: { nonRoot?: boolean } = {}): ContractSetup {
  const fromEnv = process.env.AGENTCTL_TEST_AGENT_CLIS;
  const dir = fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_AGENT_CLIS;
  const missing = names.filter((name) => !existsSync(join(dir, name)));
  let problem: string | undefined;
  if (missing.length > 0) {
    problem =
      `${suite}: the agent CLI${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in ${dir}` +
      `${fromEnv === undefined ? ' (AGENTCTL_TEST_AGENT_CLIS is unset)' : ''}; ${SETUP_HINT}`;
  }
  let user: RunUser | undefined;
  if (options.nonRoot === true) {
    const uid = process.getuid?.() ?? 0;
    if (uid !== 0) user = { uid, gid: process.getgid?.() ?? uid, su: undefined };
    else {
      user = lookUpUser(TEST_USER);
      if (user === undefined) problem ??= `${suite}: running as root, and the user ${TEST_USER} does not exist; ${SETUP_HINT}`;
    }
  }
  const skip = problem !== undefined && !IN_CI;
  if (skip) console.warn(`[contract] skipping ${suite}: ${problem}`);
  return { dir, user, problem, skip };
}

/** A temp dir the user owns (and so can write), e.g. for HOME and AGENTCTL_HOME. */
export function userTempDir(prefix: string, user: RunUser | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), `agentctl-contract-${prefix}-`));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** chown -R, without following symlinks. */
export function chownTreeTo(path: string, user: RunUser | undefined): void {
  if (user === undefined) return;
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  chownSync(path, user.uid, user.gid);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chownTreeTo(join(path, entry), user);
}

export interface ProcessResult {
  code: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Run argv with exactly `env` (nothing inherited), stdin from /dev/null (or `stdin`),
 * bounded by `timeoutMs` (≤ 30 s). With a `su` user (tests running as root),
 * it goes through `su USER -s /bin/sh -c 'cd DIR && exec env -i ... argv'`.
 * Asynchronous, so fake servers in the test process keep answering.
 */
export function runProcess(
  argv: string[],
  options: { env: Record<string, string>; cwd: string; user?: RunUser | undefined; timeoutMs?: number; stdin?: string },
): Promise<ProcessResult> {
  const timeoutMs = Math.min(options.timeoutMs ?? CLI_TIMEOUT_MS, CLI_TIMEOUT_MS);
  const started = Date.now();
  let file: string;
  let args: string[];
  let env: Record<string, string>;
  if (options.user?.su !== undefined) {
    const assignments = Object.entries(options.env).map(([name, value]) => `${name}=${shellQuote(value)}`);
    const script = `cd ${shellQuote(options.cwd)} && exec env -i ${assignments.join(' ')} ${argv.map(shellQuote).join(' ')}`;
    file = 'su';
    args = [options.user.su, '-s', '/bin/sh', '-c', script];
    env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
  } else {
    [file, ...args] = argv as [string, ...string[]];
    env = options.env;
  }
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout takes everything it started with it.
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    if (options.stdin !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(options.stdin);
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    // Both are pipes (stdio above); only stdin varies.
    (child.stdout as Readable).setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    (child.stderr as Readable).setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal: signal ?? undefined, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** Every regular file under dir whose contents include needle. */
export function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    else if (stat.isFile() && readFileSync(path).includes(needle)) found.push(path);
  };
  walk(dir);
  return found;
}
