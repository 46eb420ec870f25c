import { assertSegment } from './names.js';
import { usageError } from './errors.js';

export interface ForgeEndpoint {
  /** Config key of the forge, e.g. "github". */
  key: string;
  /** Base URL repos are cloned from, e.g. https://github.com or file:///srv/forge. */
  url: string;
}

export interface RepoRef {
  org: string;
  name: string;
  /** "org/name", how the repo is shown and looked up in per-repo config. */
  slug: string;
  /** What git clones from. */
  cloneUrl: string;
  source: 'forge' | 'url' | 'path';
  forge?: string;
}

export interface RepoSpecContext {
  org?: string;
  forge?: ForgeEndpoint;
  /** Absolute path when the caller found `input` on disk. */
  localPath?: string;
}

const URL_SCHEMES = new Set(['https:', 'http:', 'ssh:', 'git:', 'file:']);
const SCP_LIKE = /^([A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+):(?!\/\/)(.+)$/;

function stripSuffix(name: string): string {
  return name.replace(/\.(git|bundle)$/, '');
}

function badRepo(input: string, reason: string): never {
  throw usageError(
    'invalid_repo',
    `invalid --repo ${JSON.stringify(input)}: ${reason}`,
    'pass org/name (resolved against the configured forge), a git URL such as https://host/org/name.git, or a local path such as ./my-repo',
  );
}

function fromPathSegments(input: string, segments: string[], fallbackOrg: string): { org: string; name: string } {
  const clean = segments.filter((s) => s.length > 0);
  const last = clean.at(-1);
  if (last === undefined) badRepo(input, 'it names no repository');
  const name = stripSuffix(last);
  const org = clean.length >= 2 ? (clean.at(-2) as string) : fallbackOrg;
  return { org: assertSegment('org', org), name: assertSegment('repo', name) };
}

/** Whether --repo would name something on this machine: a path, a bundle, or a file: URL. */
export function namesHostPath(input: string): boolean {
  return /^(\/|\.\.?\/|~\/)/.test(input) || input === '.' || input === '..' || input.endsWith('.bundle') || /^file:/i.test(input);
}

/** Parse the --repo argument into where to clone from and how to name the workspace. */
export function parseRepoSpec(input: string, ctx: RepoSpecContext): RepoRef {
  if (input.length === 0) badRepo(input, 'it is empty');
  if (/[\u0000-\u001f\u007f]/.test(input)) badRepo(input, 'it contains control characters');
  if (input.startsWith('-')) badRepo(input, 'it starts with "-" and would be read as an option');
  if (input.includes('::')) badRepo(input, 'git remote-helper transports such as ext:: can run commands and are refused');

  if (ctx.localPath !== undefined) {
    // Only the last part names the repo; the folders above it are the user's business.
    const { name } = fromPathSegments(input, ctx.localPath.split('/').filter(Boolean).slice(-1), 'local');
    return { org: 'local', name, slug: `local/${name}`, cloneUrl: ctx.localPath, source: 'path' };
  }

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      badRepo(input, 'it is not a valid URL');
    }
    if (!URL_SCHEMES.has(url.protocol)) badRepo(input, `the scheme ${url.protocol} is not supported (use https, http, ssh, git or file)`);
    if ((url.protocol === 'https:' || url.protocol === 'http:') && (url.username !== '' || url.password !== '')) {
      badRepo(input, 'it embeds credentials; agentctl reads forge tokens from the environment variable named in the config (token_env), never from URLs');
    }
    const { org, name } = fromPathSegments(input, decodeURIComponent(url.pathname).split('/'), url.hostname || 'local');
    return { org, name, slug: `${org}/${name}`, cloneUrl: input, source: 'url' };
  }

  const scp = SCP_LIKE.exec(input);
  if (scp !== null && !input.startsWith('/') && !input.startsWith('.')) {
    const { org, name } = fromPathSegments(input, (scp[3] as string).split('/'), scp[2] as string);
    return { org, name, slug: `${org}/${name}`, cloneUrl: input, source: 'url' };
  }

  if (input.startsWith('/') || input.startsWith('.') || input.startsWith('~')) {
    badRepo(input, 'no such directory or git bundle');
  }

  const parts = input.split('/');
  if (parts.length > 2) badRepo(input, 'expected org/name, a URL or an existing path');
  let org: string;
  let name: string;
  if (parts.length === 2) {
    org = assertSegment('org', parts[0] as string);
    name = assertSegment('repo', stripSuffix(parts[1] as string));
  } else {
    if (ctx.org === undefined) {
      throw usageError(
        'missing_org',
        `--repo ${JSON.stringify(input)} has no org and none is configured`,
        'pass --org ORG, write --repo org/name, or set defaults.org in the config',
      );
    }
    org = assertSegment('org', ctx.org);
    name = assertSegment('repo', stripSuffix(input));
  }
  if (ctx.forge === undefined) {
    throw usageError('no_forge', `cannot resolve ${org}/${name}: no forge is configured`, 'add a forge under "forges:" in the config, or pass a git URL');
  }
  const base = ctx.forge.url.replace(/\/+$/, '');
  return { org, name, slug: `${org}/${name}`, cloneUrl: `${base}/${org}/${name}.git`, source: 'forge', forge: ctx.forge.key };
}
