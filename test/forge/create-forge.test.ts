import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForgeConfig } from '../../src/core/config/schema.js';
import { AgentctlError, ExitCode } from '../../src/core/errors.js';
import type { RepoRef } from '../../src/core/repo-spec.js';
import { createForge, forgeApiUrl, forgeForRepo } from '../../src/forge/create-forge.js';
import { start as startForgejo, type FakeForgejo } from '../support/fake-forgejo.js';
import { start as startGitHub, type FakeGitHub } from '../support/fake-github.js';

let github: FakeGitHub;
let forgejo: FakeForgejo;

beforeAll(async () => {
  [github, forgejo] = await Promise.all([startGitHub(), startForgejo()]);
  github.state.token = 'gh-token-from-env';
  github.state.repo('acme/web').issues.push({ number: 1, title: 'on github', body: 'b', labels: [], comments: [] });
  forgejo.state.token = 'fj-token-from-env';
  forgejo.state.repo('acme/web').issues.push({ number: 2, title: 'on forgejo', body: 'b', labels: [], comments: [] });
});
afterAll(() => Promise.all([github.close(), forgejo.close()]));

const fakes = () => ({
  forges: {
    gh: { kind: 'github', url: 'https://github.com', api_url: github.url, token_env: 'GH_TOKEN' },
    fj: { kind: 'forgejo', url: forgejo.url, token_env: 'FJ_TOKEN' },
    tea: { kind: 'gitea', url: `${forgejo.url}/`, token_env: 'UNSET_TOKEN' },
  } satisfies Record<string, ForgeConfig>,
});
const ENV = { GH_TOKEN: 'gh-token-from-env', FJ_TOKEN: 'fj-token-from-env' };

describe('forgeApiUrl', () => {
  it.each<[ForgeConfig, string]>([
    [{ kind: 'github', url: 'https://github.com' }, 'https://api.github.com'],
    [{ kind: 'github', url: 'https://github.com/', api_url: 'https://proxy.example/gh/' }, 'https://proxy.example/gh'],
    [{ kind: 'github', url: 'https://ghe.acme.com' }, 'https://ghe.acme.com/api/v3'],
    [{ kind: 'forgejo', url: 'https://codeberg.org/' }, 'https://codeberg.org/api/v1'],
    [{ kind: 'gitea', url: 'https://git.acme.com/gitea' }, 'https://git.acme.com/gitea/api/v1'],
  ])('%j -> %s', (forge, api) => {
    expect(forgeApiUrl(forge)).toBe(api);
  });
});

describe('createForge', () => {
  it('builds a GitHub forge on api_url with the token from token_env', async () => {
    const forge = await createForge(fakes(), 'gh', ENV);
    expect([forge.kind, forge.key]).toStrictEqual(['github', 'gh']);
    expect((await forge.getIssue({ owner: 'acme', repo: 'web' }, 1)).title).toBe('on github');
    expect(github.requests.at(-1)).toMatchObject({ method: 'GET', path: '/repos/acme/web/issues/1', authorization: 'token gh-token-from-env' });
  });

  it('builds a Forgejo forge on <url>/api/v1', async () => {
    const forge = await createForge(fakes(), 'fj', ENV);
    expect([forge.kind, forge.key]).toStrictEqual(['forgejo', 'fj']);
    expect((await forge.getIssue({ owner: 'acme', repo: 'web' }, 2)).title).toBe('on forgejo');
    expect(forgejo.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/repos/acme/web/issues/2', authorization: 'token fj-token-from-env' });
  });

  it('a gitea forge whose variable is unset sends no token, and says so when refused', async () => {
    const forge = await createForge(fakes(), 'tea', ENV, { timeoutMs: 2000 });
    expect(forge.kind).toBe('gitea');
    const error = await forge.getIssue({ owner: 'acme', repo: 'web' }, 2).catch((e: unknown) => e as AgentctlError);
    expect(forgejo.requests.at(-1)).toMatchObject({ path: '/api/v1/repos/acme/web/issues/2', authorization: undefined });
    expect(error).toBeInstanceOf(AgentctlError);
    expect((error as AgentctlError).hint).toBe('UNSET_TOKEN (named in forges.tea.token_env) is not set: export UNSET_TOKEN=<a gitea API token>');
  });

  it('an unknown key is a config error listing the forges', async () => {
    const error = (await createForge(fakes(), 'gitlab', ENV).then(
      () => undefined,
      (e: unknown) => e,
    )) as AgentctlError;
    expect(error).toBeInstanceOf(AgentctlError);
    expect(error.code).toBe('unknown_forge');
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toBe('no forge "gitlab" in the config');
    expect(error.hint).toBe('configured forges: gh, fj, tea');
  });
});

describe('forgeForRepo', () => {
  const config = {
    forges: {
      github: { kind: 'github', url: 'https://github.com', token_env: 'GH_TOKEN' },
      codeberg: { kind: 'forgejo', url: 'https://codeberg.org/' },
      sub: { kind: 'gitea', url: 'https://git.acme.com/gitea' },
      root: { kind: 'gitea', url: 'https://git.acme.com' },
      local: { kind: 'forgejo', url: 'file:///srv/forge' },
    } satisfies Record<string, ForgeConfig>,
  };
  type Repo = Pick<RepoRef, 'source' | 'forge' | 'cloneUrl'>;

  it.each<[string, Repo, string, string, string]>([
    ['org/name on its forge', { source: 'forge', forge: 'codeberg', cloneUrl: 'https://codeberg.org/acme/web.git' }, 'codeberg', 'acme', 'web'],
    ['an https URL', { source: 'url', cloneUrl: 'https://github.com/acme/web.git' }, 'github', 'acme', 'web'],
    ['an https URL without .git', { source: 'url', cloneUrl: 'https://codeberg.org/acme/web' }, 'codeberg', 'acme', 'web'],
    ['an scp-like URL', { source: 'url', cloneUrl: 'git@github.com:acme/web.git' }, 'github', 'acme', 'web'],
    ['an ssh URL', { source: 'url', cloneUrl: 'ssh://git@codeberg.org:2222/acme/web.git' }, 'codeberg', 'acme', 'web'],
    ['a forge under a path', { source: 'url', cloneUrl: 'https://git.acme.com/gitea/acme/web.git' }, 'sub', 'acme', 'web'],
    ['the root forge on the same host', { source: 'url', cloneUrl: 'https://git.acme.com/acme/web.git' }, 'root', 'acme', 'web'],
  ])('%s', async (_name, repo, key, owner, name) => {
    const found = await forgeForRepo(config, repo, {});
    expect(found?.forge.key).toBe(key);
    expect(found?.repo).toStrictEqual({ owner, repo: name });
  });

  it.each<[string, Repo]>([
    ['a local path', { source: 'path', cloneUrl: '/home/me/web' }],
    ['an unknown host', { source: 'url', cloneUrl: 'https://gitlab.com/acme/web.git' }],
    ['a deeper path than owner/repo', { source: 'url', cloneUrl: 'https://github.com/acme/web/extra.git' }],
    ['another scheme on the same host', { source: 'url', cloneUrl: 'http://github.com/acme/web.git' }],
    ['a forge without an HTTP API', { source: 'forge', forge: 'local', cloneUrl: 'file:///srv/forge/acme/web.git' }],
    ['an org/name repo on an unknown forge key', { source: 'forge', forge: 'gone', cloneUrl: 'https://github.com/acme/web.git' }],
  ])('%s: undefined', async (_name, repo) => {
    expect(await forgeForRepo(config, repo, {})).toBeUndefined();
  });

  it('the forge it returns talks to that forge', async () => {
    const found = await forgeForRepo(fakes(), { source: 'url', cloneUrl: `${forgejo.url}/acme/web.git` }, ENV);
    expect(found?.repo).toStrictEqual({ owner: 'acme', repo: 'web' });
    expect((await found?.forge.getIssue(found.repo, 2))?.title).toBe('on forgejo');
  });
});
