import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { GitClient } from './git-client.js';

/** Remote-helper transports such as ext:: can run commands; only plain transports are allowed. */
const GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
  GIT_CONFIG_NOSYSTEM: '1',
};

const NETWORK_TIMEOUT_MS = 5 * 60 * 1000;

function gitError(action: string, error: unknown, hint: string): AgentctlError {
  const detail = (error as Error).message.trim().split('\n').filter(Boolean).slice(-3).join('; ');
  return new AgentctlError('git_failed', `git ${action} failed: ${detail}`, { exitCode: ExitCode.git, hint, cause: error });
}

export class SimpleGitClient implements GitClient {
  private readonly env: Record<string, string>;
  private readonly allowEnvironment: string[];

  constructor(env: Record<string, string | undefined>) {
    // simple-git refuses GIT_* variables it was not told about; the user's own (proxies, CA files) are kept.
    this.env = Object.fromEntries(
      Object.entries({ ...env, ...GIT_ENV }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    this.allowEnvironment = Object.keys(this.env).filter((name) => name.toUpperCase().startsWith('GIT_'));
  }

  private git(dir?: string, timeout?: number): SimpleGit {
    const git = simpleGit({
      baseDir: dir,
      timeout: timeout === undefined ? undefined : { block: timeout },
      allowEnvironment: this.allowEnvironment,
    } as Parameters<typeof simpleGit>[0]);
    return git.env(this.env);
  }

  async syncMirror(url: string, mirrorDir: string): Promise<{ created: boolean }> {
    if (existsSync(mirrorDir)) {
      try {
        await this.git(mirrorDir, NETWORK_TIMEOUT_MS).raw(['fetch', '--prune', '--quiet', 'origin']);
      } catch (error) {
        throw gitError(`fetch from ${url}`, error, 'check that the repository is reachable and your credentials for it work');
      }
      return { created: false };
    }
    mkdirSync(dirname(mirrorDir), { recursive: true });
    try {
      await this.git(undefined, NETWORK_TIMEOUT_MS).raw(['clone', '--mirror', '--quiet', '--', url, mirrorDir]);
    } catch (error) {
      throw gitError(`clone of ${url}`, error, 'check the repository name and that it is reachable (for org/name, check the forge url in the config)');
    }
    return { created: true };
  }

  async resolveCommit(repoDir: string, ref: string): Promise<string | undefined> {
    try {
      const out = await this.git(repoDir).raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async defaultBranch(repoDir: string): Promise<string | undefined> {
    try {
      const out = await this.git(repoDir).raw(['symbolic-ref', '--quiet', '--short', 'HEAD']);
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async listRefs(repoDir: string, prefix: string): Promise<string[]> {
    const out = await this.git(repoDir).raw(['for-each-ref', '--count=20', '--format=%(refname:lstrip=2)', prefix]);
    return out.split('\n').filter(Boolean);
  }

  async cloneLocal(mirrorDir: string, repoDir: string): Promise<void> {
    try {
      await this.git().raw(['clone', '--local', '--no-checkout', '--quiet', '--', mirrorDir, repoDir]);
    } catch (error) {
      throw gitError('clone from the local mirror', error, `remove the mirror ${mirrorDir} and try again`);
    }
  }

  async checkout(repoDir: string, commit: string, branch: string | undefined): Promise<void> {
    const args = branch === undefined ? ['checkout', '--quiet', '--detach', commit] : ['checkout', '--quiet', '-B', branch, commit];
    try {
      await this.git(repoDir).raw(args);
    } catch (error) {
      throw gitError(`checkout of ${branch ?? commit}`, error, 'check the branch name and the repository state');
    }
  }

  async setOrigin(repoDir: string, url: string): Promise<void> {
    await this.git(repoDir).raw(['remote', 'set-url', 'origin', url]);
  }
}
