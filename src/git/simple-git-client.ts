import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import createDebug from 'debug';
import { simpleGit } from 'simple-git';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { GitClient } from './git-client.js';
import { collectWork, configEnv, pushWork, type CollectedWork, type GitExec, type WorkPaths } from './host-repo.js';

/**
 * Remote-helper transports such as ext:: can run commands; only plain
 * transports are allowed. No prompts: a dispatch must fail, not hang.
 */
const GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Where a checkout keeps the predecessor's work it started from (dispatch --from-after). */
const AFTER_REF = 'refs/agentctl/after';
const NETWORK_TIMEOUT_MS = 5 * 60 * 1000;
const LOCAL_TIMEOUT_MS = 60 * 1000;

function gitError(action: string, error: unknown, hint: string): AgentctlError {
  const detail = (error as Error).message.trim().split('\n').filter(Boolean).slice(-3).join('; ');
  return new AgentctlError('git_failed', `git ${action} failed: ${detail}`, { exitCode: ExitCode.git, hint, cause: error });
}

/**
 * What of the operator's environment a git process sees: what git itself
 * reads (its own variables, where its config and ssh agent are, proxies,
 * CA files, locale), and nothing else, so no secret of agentctl's (forge
 * tokens, agents' keys) reaches git or simple-git's debug output.
 */
const PASSED_NAMES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'LANG', 'TZ', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE']);
const PASSED_PREFIXES = ['GIT_', 'LC_'];
const PROXY = /^(https?|all|no)_proxy$/i;

/** Git's variables that name a repository or carry settings: agentctl sets these itself, per process. */
const NOT_PASSED = /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|PREFIX|CONFIG_PARAMETERS|CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_VALUE_\d+)$/;

export function gitProcessEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const passed = (name: string) => PASSED_NAMES.has(name) || PASSED_PREFIXES.some((prefix) => name.startsWith(prefix)) || PROXY.test(name);
  return Object.fromEntries(Object.entries(env).filter(([name]) => passed(name) && !NOT_PASSED.test(name)));
}

/** Whether `git fetch --verbose` reported a ref it added, moved or pruned (not only "=" for those up to date). */
export function fetchChangedRefs(stderr: string): boolean {
  return stderr.split('\n').some((line) => line.includes(' -> ') && !line.trimStart().startsWith('= '));
}

/** Config keys agentctl itself sets for one git process (simple-git refuses any other). */
const OUR_CONFIG_KEYS = ['url.*.insteadOf', 'http.extraHeader', 'core.hooksPath', 'core.fsmonitor', 'core.untrackedCache', 'core.trustCtime', 'core.checkStat', 'diff.ignoreSubmodules', 'gc.auto', 'fetch.fsckObjects'];

/**
 * Git through simple-git. Its completion plugin waits 50 ms after any command
 * that printed nothing, so the commands here are ones that report: no
 * --quiet, --verbose where git has it, or a command that prints a ref.
 */
export class SimpleGitClient implements GitClient {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    env: Record<string, string | undefined>,
    /** Hears a first clone's progress as git reports it (only then: a fetch into a mirror is mostly quick). */
    private readonly cloneProgress?: (stage: string, percent: number) => void,
  ) {
    this.env = { ...gitProcessEnv(env), ...GIT_ENV };
  }

  private readonly gitExec: GitExec = (args, extraEnv, timeout) => this.exec(args, undefined, timeout, extraEnv);

  private run(args: string[], cwd?: string, timeout = LOCAL_TIMEOUT_MS, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    return this.exec(args, cwd, timeout, extraEnv).then((out) => out.stdout);
  }

  private async exec(
    args: string[],
    cwd?: string,
    timeout = LOCAL_TIMEOUT_MS,
    extraEnv: NodeJS.ProcessEnv = {},
    progress?: (stage: string, percent: number) => void,
  ): Promise<{ stdout: string; stderr: string }> {
    const env = Object.fromEntries(Object.entries({ ...this.env, ...extraEnv }).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const stderr: Buffer[] = [];
    const git = simpleGit({
      // Outside any repository unless one is named: git never discovers one from where agentctl was started.
      baseDir: cwd ?? '/',
      timeout: { block: timeout },
      // Done when git's output streams close. Its default also arms a 50 ms timer at exit, which the race
      // does not need but which keeps Node alive: a run whose last step is git ended 50 ms late.
      completion: { onClose: true, onExit: false },
      maxConcurrentProcesses: 16,
      // The environment is the operator's plus agentctl's own settings, all of it trusted; nothing comes from a repository.
      allowEnvironment: Object.keys(env),
      allowConfig: OUR_CONFIG_KEYS,
      // simple-git's progress plugin parses git's "stage: N% (a/b)" reports; the caller puts --progress before "--".
      ...(progress === undefined ? {} : { progress: (event: { stage: string; progress: number }) => progress(event.stage, event.progress) }),
    })
      .env(env)
      .outputHandler((_command, _stdout, err) => err.on('data', (chunk: Buffer) => stderr.push(chunk)));
    const stdout = await git.raw(args);
    return { stdout, stderr: Buffer.concat(stderr).toString('utf8') };
  }

  async syncMirror(url: string, mirrorDir: string): Promise<{ created: boolean; changed: boolean }> {
    if (existsSync(mirrorDir)) {
      try {
        // --verbose: fetch reports every ref, "=" for those already up to date (and prints something, which spares
        // simple-git's wait after a silent command).
        const out = await this.exec(['fetch', '--verbose', '--prune', '--no-auto-maintenance', 'origin'], mirrorDir, NETWORK_TIMEOUT_MS);
        return { created: false, changed: fetchChangedRefs(out.stderr) };
      } catch (error) {
        throw gitError(`fetch from ${url}`, error, 'check that the repository is reachable and your credentials for it work');
      }
    }
    mkdirSync(dirname(mirrorDir), { recursive: true });
    // Made beside its place and renamed into it: a mirror that exists is complete, whatever else reads it meanwhile.
    const tmp = `${mirrorDir}.tmp-${process.pid}-${Date.now().toString(36)}`;
    try {
      const progress = this.cloneProgress;
      await this.exec(['clone', '--mirror', ...(progress === undefined ? [] : ['--progress']), '--', url, tmp], undefined, NETWORK_TIMEOUT_MS, {}, progress);
      renameSync(tmp, mirrorDir);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw gitError(`clone of ${url}`, error, 'check the repository name and that it is reachable (for org/name, check the forge url in the config)');
    }
    return { created: true, changed: true };
  }

  async resolveCommit(repoDir: string, ref: string): Promise<string | undefined> {
    try {
      // Not --quiet: a missing ref is reported on stderr rather than in silence.
      const out = await this.run(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], repoDir);
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async defaultBranch(repoDir: string): Promise<{ name: string; commit: string | undefined } | undefined> {
    // One process for the usual case: a branch with commits.
    try {
      const [commit, ref] = (await this.run(['rev-parse', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD'], repoDir)).trim().split('\n');
      if (commit !== undefined && ref?.startsWith('refs/heads/') === true) return { name: ref.slice('refs/heads/'.length), commit };
    } catch {
      // unborn or detached HEAD: ask for the name alone
    }
    try {
      const name = (await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], repoDir)).trim();
      return name === '' ? undefined : { name, commit: undefined };
    } catch {
      return undefined;
    }
  }

  async listRefs(repoDir: string, prefix: string): Promise<string[]> {
    const out = await this.run(['for-each-ref', '--count=20', '--format=%(refname:lstrip=2)', prefix], repoDir);
    return out.split('\n').filter(Boolean);
  }

  async cloneLocal(mirrorDir: string, repoDir: string, originUrl: string): Promise<void> {
    // Cloning originUrl with the mirror standing in for it (url.<mirror>.insteadOf) makes the local clone
    // and records origin as the real remote, in one process. Its objects are copies, not hardlinks: the agent
    // may rewrite any file of its checkout in place, and a shared inode would carry that into the mirror.
    const insteadOf = configEnv({ [`url.${mirrorDir}.insteadOf`]: originUrl });
    try {
      await this.run(['clone', '--local', '--no-hardlinks', '--no-checkout', '--', originUrl, repoDir], undefined, LOCAL_TIMEOUT_MS, insteadOf);
    } catch (error) {
      throw gitError('clone from the local mirror', error, `remove the mirror ${mirrorDir} and try again`);
    }
  }

  async refreshFromMirror(repoDir: string, mirrorDir: string, extraRefspecs: readonly string[] = []): Promise<void> {
    try {
      await this.run(['fetch', '--prune', '--verbose', '--no-auto-maintenance', '--', mirrorDir, '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*', ...extraRefspecs], repoDir);
    } catch (error) {
      throw gitError('fetch from the local mirror', error, `remove the mirror ${mirrorDir} and try again`);
    }
  }

  async resetBranch(repoDir: string, branch: string, startPoint: string): Promise<void> {
    if ((await this.resolveCommit(repoDir, startPoint)) === undefined) return;
    await this.setBranch(repoDir, branch, startPoint, true);
  }

  async checkout(repoDir: string, commit: string, branch: string | undefined): Promise<void> {
    // Git's sequential checkout: on the 2-core machine kind, parallel workers made a 5,000-file checkout 1.1-2x slower (bench/run.mjs).
    // Not --quiet: checkout reports the branch it switched to.
    const args = ['checkout', ...(branch === undefined ? ['--detach', commit] : ['-B', branch, commit])];
    try {
      await this.run(args, repoDir);
    } catch (error) {
      throw gitError(`checkout of ${branch ?? commit}`, error, 'check the branch name and the repository state');
    }
  }

  async startFrom(repoDir: string, fromRepo: string, ref: string, branch: string | undefined): Promise<string> {
    // The checkout is one agentctl made and no agent has run in yet; hooks and fsmonitor stay off all the same.
    // The work checked out is an agent's: the operator's global config stays out, so no filter driver of theirs
    // (git-lfs, whose smudge would fetch from a URL the work's .lfsconfig names) runs on it.
    const guarded = { ...configEnv({ 'core.hooksPath': '/dev/null', 'core.fsmonitor': 'false', 'fetch.fsckObjects': 'true' }), GIT_CONFIG_GLOBAL: '/dev/null' };
    try {
      await this.exec(['fetch', '--verbose', '--no-tags', '--no-write-fetch-head', '--no-auto-maintenance', '--end-of-options', fromRepo, `+${ref}:${AFTER_REF}`], repoDir, LOCAL_TIMEOUT_MS, guarded);
      const commit = (await this.exec(['rev-parse', '--verify', '--end-of-options', `${AFTER_REF}^{commit}`], repoDir, LOCAL_TIMEOUT_MS, guarded)).stdout.trim();
      // Not --quiet: checkout reports the branch it switched to.
      await this.exec(['checkout', ...(branch === undefined ? ['--detach', commit] : ['-B', branch, commit])], repoDir, LOCAL_TIMEOUT_MS, guarded);
      return commit;
    } catch (error) {
      throw gitError(`start from ${ref} of ${fromRepo}`, error, 'dispatch again without --from-after');
    }
  }

  collectWork(paths: WorkPaths, start: string, message: string, identity: { name: string; email: string }): Promise<CollectedWork> {
    return collectWork(this.gitExec, paths, start, message, identity);
  }

  async pushWork(hostGit: string, url: string, commit: string, branch: string, token: string | undefined): Promise<void> {
    // simple-git's debug output (DEBUG=simple-git:*) prints each git process's environment, where the token travels.
    const debugging = token === undefined ? '' : createDebug.disable();
    try {
      await pushWork(this.gitExec, hostGit, url, commit, branch, token, NETWORK_TIMEOUT_MS);
    } catch (error) {
      throw gitError(`push of ${branch}`, error, 'check that the token in the forge\'s token_env may push to the repository');
    } finally {
      if (debugging !== '') createDebug.enable(debugging);
    }
  }

  /**
   * Point a branch that is not checked out at a start point. A fetch from the
   * repository itself does what `git branch` does, and reports it (`git branch`
   * prints nothing, which would cost simple-git's 50 ms wait).
   */
  private async setBranch(repoDir: string, branch: string, startPoint: string, force: boolean): Promise<void> {
    await this.run(['fetch', '--verbose', '--no-write-fetch-head', '--no-auto-maintenance', '.', `${force ? '+' : ''}${startPoint}:refs/heads/${branch}`], repoDir);
  }

  async ensureBranch(repoDir: string, branch: string, startPoint: string): Promise<void> {
    if ((await this.resolveCommit(repoDir, `refs/heads/${branch}`)) !== undefined) return;
    if ((await this.resolveCommit(repoDir, startPoint)) === undefined) return;
    await this.setBranch(repoDir, branch, startPoint, false);
  }
}
