import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { GitClient } from './git-client.js';
import { collectWork, configEnv as settingsEnv, pushWork, type CollectedWork, type GitExec, type WorkPaths } from './host-repo.js';

/**
 * Remote-helper transports such as ext:: can run commands; only plain
 * transports are allowed. No prompts: a dispatch must fail, not hang.
 */
const GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
  GIT_CONFIG_NOSYSTEM: '1',
};

/**
 * One setting for one git process, read by git as if passed with -c but kept
 * out of argv (a secret stays off the command line) and never cut at an "="
 * in its key (as a -c key is, and a path may hold one).
 */
function configEnv(key: string, value: string): NodeJS.ProcessEnv {
  return settingsEnv({ [key]: value });
}

const NETWORK_TIMEOUT_MS = 5 * 60 * 1000;
const LOCAL_TIMEOUT_MS = 60 * 1000;

class GitCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode: number | string | null | undefined,
  ) {
    super(stderr.trim() || `git ${args[0]} exited with ${String(exitCode)}`);
  }
}

function gitError(action: string, error: unknown, hint: string): AgentctlError {
  const detail = (error as Error).message.trim().split('\n').filter(Boolean).slice(-3).join('; ');
  return new AgentctlError('git_failed', `git ${action} failed: ${detail}`, { exitCode: ExitCode.git, hint, cause: error });
}

/**
 * Workspace prep runs git directly through execFile. Measured on the hot
 * path of every dispatch: simple-git waits 50 ms after each command that
 * prints nothing (four of them here) and execa takes ~50 ms to import, while
 * these calls need nothing but argv, env, cwd and a timeout.
 */
export class ExecGitClient implements GitClient {
  private readonly env: NodeJS.ProcessEnv;

  constructor(env: Record<string, string | undefined>) {
    this.env = { ...env, ...GIT_ENV };
  }

  private readonly gitExec: GitExec = (args, extraEnv, timeout) => this.exec(args, undefined, timeout, extraEnv);

  private run(args: string[], cwd?: string, timeout = LOCAL_TIMEOUT_MS, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    return this.exec(args, cwd, timeout, extraEnv).then((out) => out.stdout);
  }

  private exec(args: string[], cwd?: string, timeout = LOCAL_TIMEOUT_MS, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile('git', args, { cwd, env: { ...this.env, ...extraEnv }, timeout, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error === null) resolve({ stdout, stderr });
        else reject(new GitCommandError(args, stderr || error.message, (error as NodeJS.ErrnoException).code));
      });
    });
  }

  async syncMirror(url: string, mirrorDir: string): Promise<{ created: boolean; changed: boolean }> {
    if (existsSync(mirrorDir)) {
      try {
        // Not --quiet: fetch reports each ref it updates or prunes, and prints nothing when nothing changed.
        const out = await this.exec(['fetch', '--prune', '--no-auto-maintenance', 'origin'], mirrorDir, NETWORK_TIMEOUT_MS);
        return { created: false, changed: `${out.stdout}${out.stderr}`.trim() !== '' };
      } catch (error) {
        throw gitError(`fetch from ${url}`, error, 'check that the repository is reachable and your credentials for it work');
      }
    }
    mkdirSync(dirname(mirrorDir), { recursive: true });
    // Made beside its place and renamed into it: a mirror that exists is complete, whatever else reads it meanwhile.
    const tmp = `${mirrorDir}.tmp-${process.pid}-${Date.now().toString(36)}`;
    try {
      await this.run(['clone', '--mirror', '--quiet', '--', url, tmp], undefined, NETWORK_TIMEOUT_MS);
      renameSync(tmp, mirrorDir);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw gitError(`clone of ${url}`, error, 'check the repository name and that it is reachable (for org/name, check the forge url in the config)');
    }
    return { created: true, changed: true };
  }

  async resolveCommit(repoDir: string, ref: string): Promise<string | undefined> {
    try {
      const out = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], repoDir);
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
    const insteadOf = configEnv(`url.${mirrorDir}.insteadOf`, originUrl);
    try {
      await this.run(['clone', '--local', '--no-hardlinks', '--no-checkout', '--quiet', '--', originUrl, repoDir], undefined, LOCAL_TIMEOUT_MS, insteadOf);
    } catch (error) {
      throw gitError('clone from the local mirror', error, `remove the mirror ${mirrorDir} and try again`);
    }
  }

  async refreshFromMirror(repoDir: string, mirrorDir: string, extraRefspecs: readonly string[] = []): Promise<void> {
    try {
      await this.run(['fetch', '--prune', '--quiet', '--no-auto-maintenance', '--', mirrorDir, '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*', ...extraRefspecs], repoDir);
    } catch (error) {
      throw gitError('fetch from the local mirror', error, `remove the mirror ${mirrorDir} and try again`);
    }
  }

  async resetBranch(repoDir: string, branch: string, startPoint: string): Promise<void> {
    if ((await this.resolveCommit(repoDir, startPoint)) === undefined) return;
    await this.run(['branch', '--force', '--no-track', '--', branch, startPoint], repoDir);
  }

  async checkout(repoDir: string, commit: string, branch: string | undefined): Promise<void> {
    // Git's sequential checkout: on the 2-core machine kind, parallel workers made a 5,000-file checkout 1.1-2x slower (bench/run.mjs).
    const args = ['checkout', '--quiet', ...(branch === undefined ? ['--detach', commit] : ['-B', branch, commit])];
    try {
      await this.run(args, repoDir);
    } catch (error) {
      throw gitError(`checkout of ${branch ?? commit}`, error, 'check the branch name and the repository state');
    }
  }

  collectWork(paths: WorkPaths, start: string, message: string, identity: { name: string; email: string }): Promise<CollectedWork> {
    return collectWork(this.gitExec, paths, start, message, identity);
  }

  async pushWork(hostGit: string, url: string, commit: string, branch: string, token: string | undefined): Promise<void> {
    try {
      await pushWork(this.gitExec, hostGit, url, commit, branch, token, NETWORK_TIMEOUT_MS);
    } catch (error) {
      throw gitError(`push of ${branch}`, error, 'check that the token in the forge\'s token_env may push to the repository');
    }
  }

  async ensureBranch(repoDir: string, branch: string, startPoint: string): Promise<void> {
    if ((await this.resolveCommit(repoDir, `refs/heads/${branch}`)) !== undefined) return;
    if ((await this.resolveCommit(repoDir, startPoint)) === undefined) return;
    await this.run(['branch', '--no-track', '--', branch, startPoint], repoDir);
  }
}
