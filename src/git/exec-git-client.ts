import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { GitClient } from './git-client.js';

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
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: key, GIT_CONFIG_VALUE_0: value };
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

  private run(args: string[], cwd?: string, timeout = LOCAL_TIMEOUT_MS, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
    return this.exec(args, cwd, timeout, extraEnv).then((out) => out.stdout);
  }

  private exec(args: string[], cwd?: string, timeout = LOCAL_TIMEOUT_MS, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // Workspaces are lent to the agent's uid while it runs; they are ours to read all the same.
      execFile('git', ['-c', 'safe.directory=*', ...args], { cwd, env: { ...this.env, ...extraEnv }, timeout, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
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
    // Cloning originUrl with the mirror standing in for it (url.<mirror>.insteadOf) makes the hardlinked
    // local clone and records origin as the real remote, in one process.
    const insteadOf = configEnv(`url.${mirrorDir}.insteadOf`, originUrl);
    try {
      await this.run(['clone', '--local', '--no-checkout', '--quiet', '--', originUrl, repoDir], undefined, LOCAL_TIMEOUT_MS, insteadOf);
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

  async changedPaths(repoDir: string): Promise<string[]> {
    const out = await this.run(['status', '--porcelain=v1', '-z', '--untracked-files=all'], repoDir);
    const entries = out.split('\0').filter(Boolean);
    const paths: string[] = [];
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[i] as string;
      paths.push(entry.slice(3));
      // A rename or copy is followed by its original path, which must be staged too.
      if (/[RC]/.test(entry.slice(0, 2)) && entries[i + 1] !== undefined) paths.push(entries[(i += 1)] as string);
    }
    return paths;
  }

  async commitAll(repoDir: string, message: string, identity: { name: string; email: string }, paths?: readonly string[]): Promise<boolean> {
    if (paths === undefined) await this.run(['add', '--all'], repoDir);
    else if (paths.length > 0) await this.run(['add', '--all', '--', ...paths], repoDir);
    const staged = await this.run(['diff', '--cached', '--name-only'], repoDir);
    if (staged.trim() === '') return false;
    const who = { GIT_AUTHOR_NAME: identity.name, GIT_AUTHOR_EMAIL: identity.email, GIT_COMMITTER_NAME: identity.name, GIT_COMMITTER_EMAIL: identity.email };
    await this.run(['commit', '--quiet', '--no-verify', '-m', message], repoDir, LOCAL_TIMEOUT_MS, who);
    return true;
  }

  async changedSince(repoDir: string, commit: string): Promise<boolean> {
    // One process for both questions: "# branch.oid" is HEAD's commit, and every other line is a change.
    const out = await this.run(['status', '--porcelain=v2', '--branch', '--untracked-files=normal'], repoDir);
    const lines = out.split('\n').filter(Boolean);
    return !lines.includes(`# branch.oid ${commit}`) || lines.some((line) => !line.startsWith('# '));
  }

  async head(repoDir: string): Promise<string> {
    return (await this.run(['rev-parse', 'HEAD'], repoDir)).trim();
  }

  async push(repoDir: string, branch: string, token: string | undefined): Promise<void> {
    // The header stays out of argv and off disk.
    const auth = token === undefined ? {} : configEnv('http.extraHeader', `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`);
    try {
      await this.run(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], repoDir, NETWORK_TIMEOUT_MS, auth);
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
