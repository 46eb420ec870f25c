import type { Config, ForgeConfig } from '../core/config/schema.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { RepoRef } from '../core/repo-spec.js';
import type { Forge, RepoId } from './forge.js';

export interface CreateForgeOptions {
  /** Per request; 10 s by default. */
  timeoutMs?: number;
}

type ForgesConfig = Pick<Config, 'forges'>;
type Env = Record<string, string | undefined>;

/**
 * The API base of a forge: api_url, else https://api.github.com for github.com,
 * <url>/api/v3 for GitHub Enterprise Server, and <url>/api/v1 for Forgejo and Gitea.
 */
export function forgeApiUrl(forge: ForgeConfig): string {
  if (forge.api_url !== undefined) return forge.api_url.replace(/\/+$/, '');
  const url = forge.url.replace(/\/+$/, '');
  if (forge.kind !== 'github') return `${url}/api/v1`;
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    // not a URL: fall through to github.com
  }
  return host === '' || host === 'github.com' || host === 'www.github.com' ? 'https://api.github.com' : `${url}/api/v3`;
}

/** The adapter for forges.<key>, with its token read from the variable named in token_env. */
export async function createForge(config: ForgesConfig, key: string, env: Env, options: CreateForgeOptions = {}): Promise<Forge> {
  const forge = config.forges[key];
  if (forge === undefined) {
    const known = Object.keys(config.forges);
    throw new AgentctlError('unknown_forge', `no forge "${key}" in the config`, {
      exitCode: ExitCode.config,
      hint: known.length === 0 ? 'add one under "forges:" in the config' : `configured forges: ${known.join(', ')}`,
    });
  }
  const token = forge.token_env === undefined ? undefined : env[forge.token_env] || undefined;
  const common = { key, apiUrl: forgeApiUrl(forge), tokenEnv: forge.token_env, token, timeoutMs: options.timeoutMs ?? (forge.timeout === undefined ? undefined : forge.timeout * 1000) };
  if (forge.kind === 'github') {
    const { GitHubForge } = await import('./github-forge.js');
    return GitHubForge.create(common);
  }
  const { ForgejoForge } = await import('./forgejo-forge.js');
  return new ForgejoForge({ ...common, kind: forge.kind });
}

const SCP_LIKE = /^(?:[^@/:]+@)?([^/:]+):(?!\/\/)(.+)$/;

/** owner/repo when `cloneUrl` lies on the forge at `forgeUrl`, else undefined. */
function repoOnForge(forgeUrl: string, cloneUrl: string): RepoId | undefined {
  let base: URL;
  try {
    base = new URL(forgeUrl.replace(/\/+$/, ''));
  } catch {
    return undefined;
  }
  let rest: string | undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(cloneUrl)) {
    let url: URL;
    try {
      url = new URL(cloneUrl);
    } catch {
      return undefined;
    }
    if (url.protocol === base.protocol) {
      const prefix = base.pathname.replace(/\/+$/, '');
      const sameHost = url.host === base.host;
      if (sameHost && url.pathname.startsWith(`${prefix}/`)) rest = url.pathname.slice(prefix.length);
    } else if ((url.protocol === 'ssh:' || url.protocol === 'git:') && url.hostname === base.hostname) {
      rest = url.pathname;
    }
  } else {
    const scp = SCP_LIKE.exec(cloneUrl);
    if (scp !== null && scp[1]?.toLowerCase() === base.hostname) rest = scp[2];
  }
  const parts = (rest ?? '').split('/').filter((p) => p !== '');
  if (parts.length !== 2) return undefined;
  try {
    return { owner: decodeURIComponent(parts[0] as string), repo: decodeURIComponent((parts[1] as string).replace(/\.git$/, '')) };
  } catch {
    return undefined;
  }
}

/** Which configured forge a repo lives on, and its owner/repo there. */
function findForge(config: ForgesConfig, repo: Pick<RepoRef, 'source' | 'forge' | 'cloneUrl'>): { key: string; repo: RepoId } | undefined {
  if (repo.source === 'path') return undefined;
  if (repo.source === 'forge') {
    const forge = repo.forge === undefined ? undefined : config.forges[repo.forge];
    const id = forge === undefined ? undefined : repoOnForge(forge.url, repo.cloneUrl);
    return id === undefined ? undefined : { key: repo.forge as string, repo: id };
  }
  // The longest matching url wins, so https://host/gitea beats https://host; on a tie, the first in the config.
  const matches = Object.entries(config.forges)
    .map(([key, forge]) => ({ key, url: forge.url.replace(/\/+$/, ''), repo: repoOnForge(forge.url, repo.cloneUrl) }))
    .filter((m): m is { key: string; url: string; repo: RepoId } => m.repo !== undefined)
    .sort((a, b) => b.url.length - a.url.length);
  const best = matches[0];
  return best === undefined ? undefined : { key: best.key, repo: best.repo };
}

/**
 * The forge and owner/repo for a repo being worked on: org/name repos use their
 * forge; URL repos are matched against each forge's url. Undefined for local
 * paths, unknown hosts, and forges whose API is not HTTP (file:// test forges).
 */
export async function forgeForRepo(
  config: ForgesConfig,
  repo: Pick<RepoRef, 'source' | 'forge' | 'cloneUrl'>,
  env: Env,
  options: CreateForgeOptions = {},
): Promise<{ forge: Forge; repo: RepoId } | undefined> {
  const found = findForge(config, repo);
  if (found === undefined) return undefined;
  const forge = config.forges[found.key] as ForgeConfig;
  if (!/^https?:\/\//i.test(forgeApiUrl(forge))) return undefined;
  return { forge: await createForge(config, found.key, env, options), repo: found.repo };
}
