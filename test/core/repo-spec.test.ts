import { describe, expect, it } from 'vitest';
import { namesHostPath, parseRepoSpec, type RepoRef, type RepoSpecContext } from '../../src/core/repo-spec.js';
import { thrown } from './thrown.js';

const github = { key: 'github', url: 'https://github.com' };
const localForge = { key: 'local', url: 'file:///srv/forge/' };

const REPO_HINT =
  'pass org/name (resolved against the configured forge), a git URL such as https://host/org/name.git, or a local path such as ./my-repo';

describe('parseRepoSpec: forge names', () => {
  it.each<[string, RepoSpecContext, RepoRef]>([
    [
      'acme/web',
      { forge: github },
      { org: 'acme', name: 'web', slug: 'acme/web', cloneUrl: 'https://github.com/acme/web.git', source: 'forge', forge: 'github' },
    ],
    [
      'acme/web.git',
      { forge: github },
      { org: 'acme', name: 'web', slug: 'acme/web', cloneUrl: 'https://github.com/acme/web.git', source: 'forge', forge: 'github' },
    ],
    [
      'web',
      { org: 'acme', forge: github },
      { org: 'acme', name: 'web', slug: 'acme/web', cloneUrl: 'https://github.com/acme/web.git', source: 'forge', forge: 'github' },
    ],
    [
      'web.git',
      { org: 'acme', forge: github },
      { org: 'acme', name: 'web', slug: 'acme/web', cloneUrl: 'https://github.com/acme/web.git', source: 'forge', forge: 'github' },
    ],
    [
      'other/api',
      { org: 'acme', forge: github },
      { org: 'other', name: 'api', slug: 'other/api', cloneUrl: 'https://github.com/other/api.git', source: 'forge', forge: 'github' },
    ],
    [
      'acme/web',
      { forge: localForge },
      { org: 'acme', name: 'web', slug: 'acme/web', cloneUrl: 'file:///srv/forge/acme/web.git', source: 'forge', forge: 'local' },
    ],
  ])('%j with %j', (input, ctx, expected) => {
    expect(parseRepoSpec(input, ctx)).toStrictEqual(expected);
  });
});

describe('parseRepoSpec: URLs', () => {
  it.each<[string, string, string]>([
    ['https://github.com/acme/web.git', 'acme', 'web'],
    ['https://github.com/acme/web', 'acme', 'web'],
    ['https://github.com/acme/web/', 'acme', 'web'],
    ['http://git.example.com:8080/team/api.git', 'team', 'api'],
    ['ssh://git@github.com/acme/web.git', 'acme', 'web'],
    ['ssh://git@github.com:2222/acme/web.git', 'acme', 'web'],
    ['git://example.org/acme/web.git', 'acme', 'web'],
    ['file:///srv/git/acme/web.git', 'acme', 'web'],
    ['file:///web.git', 'local', 'web'],
    ['https://gitlab.example.com/web.git', 'gitlab.example.com', 'web'],
    ['git@github.com:acme/web.git', 'acme', 'web'],
    ['github.com:acme/web', 'acme', 'web'],
    ['git@host.example:web.git', 'host.example', 'web'],
  ])('%s is %s/%s, cloned from the URL as given', (input, org, name) => {
    // A forge in the context must not change how a URL is read.
    expect(parseRepoSpec(input, { forge: github, org: 'ignored' })).toStrictEqual({
      org,
      name,
      slug: `${org}/${name}`,
      cloneUrl: input,
      source: 'url',
    });
  });
});

describe('parseRepoSpec: local paths', () => {
  it.each<[string, string, string]>([
    ['../x', '/home/me/src/x', 'x'],
    ['./hello-repo.bundle', '/work/examples/hello-repo.bundle', 'hello-repo'],
    ['web.git', '/srv/web.git', 'web'],
    ['/srv/repos/api/', '/srv/repos/api/', 'api'],
    // An existing directory wins over the org/name reading.
    ['acme/web', '/tmp/acme/web', 'web'],
  ])('%j found at %s is local/%s', (input, localPath, name) => {
    expect(parseRepoSpec(input, { localPath, forge: github, org: 'acme' })).toStrictEqual({
      org: 'local',
      name,
      slug: `local/${name}`,
      cloneUrl: localPath,
      source: 'path',
    });
  });
});

describe('parseRepoSpec: refused input', () => {
  it.each<[string, RepoSpecContext, string]>([
    ['', { forge: github }, 'it is empty'],
    ['acme/web\n', { forge: github }, 'it contains control characters'],
    ['-upload-pack=x', { forge: github }, 'it starts with "-" and would be read as an option'],
    ['--upload-pack=touch /tmp/pwned', { forge: github }, 'it starts with "-" and would be read as an option'],
    ['ext::sh -c touch% /tmp/pwned', { forge: github }, 'git remote-helper transports such as ext:: can run commands and are refused'],
    // Refused even when something by that name exists on disk.
    ['ext::sh -c id', { localPath: '/tmp/ext::sh -c id' }, 'git remote-helper transports such as ext:: can run commands and are refused'],
    [
      'https://user:tok@github.com/o/r.git',
      {},
      'it embeds credentials; agentctl reads forge tokens from the environment variable named in the config (token_env), never from URLs',
    ],
    [
      'http://ghp_secret@github.com/o/r.git',
      {},
      'it embeds credentials; agentctl reads forge tokens from the environment variable named in the config (token_env), never from URLs',
    ],
    ['ftp://example.com/o/r.git', {}, 'the scheme ftp: is not supported (use https, http, ssh, git or file)'],
    ['https://github.com/', {}, 'it names no repository'],
    ['a/b/c', { forge: github }, 'expected org/name, a URL or an existing path'],
    ['../x', { forge: github }, 'no such directory or git bundle'],
    ['./x', { forge: github }, 'no such directory or git bundle'],
    ['/abs/repo', { forge: github }, 'no such directory or git bundle'],
    ['~/repo', { forge: github }, 'no such directory or git bundle'],
  ])('%j', (input, ctx, reason) => {
    const error = thrown(() => parseRepoSpec(input, ctx));
    expect(error.code).toBe('invalid_repo');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`invalid --repo ${JSON.stringify(input)}: ${reason}`);
    expect(error.hint).toBe(REPO_HINT);
  });

  it('a bare name without an org is missing_org', () => {
    const error = thrown(() => parseRepoSpec('web', { forge: github }));
    expect(error.code).toBe('missing_org');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('--repo "web" has no org and none is configured');
    expect(error.hint).toBe('pass --org ORG, write --repo org/name, or set defaults.org in the config');
  });

  it('org/name without a forge is no_forge', () => {
    const error = thrown(() => parseRepoSpec('acme/web', { org: 'acme' }));
    expect(error.code).toBe('no_forge');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('cannot resolve acme/web: no forge is configured');
    expect(error.hint).toBe('add a forge under "forges:" in the config, or pass a git URL');
  });

  it.each<[string, RepoSpecContext, string]>([
    ['acme/..', { forge: github }, 'invalid repo name "..": ".." would escape the workspace root'],
    ['ac me/web', { forge: github }, 'invalid org name "ac me": it contains a space; only letters, digits, ".", "_" and "-" are allowed'],
    ['web', { org: '../etc', forge: github }, 'invalid org name "../etc": it contains ".."'],
    ['acme/.git', { forge: github }, 'invalid repo name "": it is empty'],
    ['https://github.com/acme/we$b.git', {}, 'invalid repo name "we$b": it contains "$"; only letters, digits, ".", "_" and "-" are allowed'],
    ['git@github.com:-acme/web.git', {}, 'invalid org name "-acme": it starts with "-" and would be read as an option'],
  ])('%j has an unsafe org or repo name', (input, ctx, message) => {
    const error = thrown(() => parseRepoSpec(input, ctx));
    expect(error.code).toBe('invalid_name');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(message);
  });
});

describe('namesHostPath', () => {
  it.each([
    ['/srv/repo', true],
    ['./repo', true],
    ['../repo', true],
    ['~/code/repo', true],
    ['.', true],
    ['..', true],
    ['backup.bundle', true],
    ['file:///srv/repo.git', true],
    ['FILE:///srv/repo.git', true],
    ['acme/web', false],
    ['web', false],
    ['https://forge.example/acme/web.git', false],
    ['ssh://git@forge.example/acme/web.git', false],
    ['git@forge.example:acme/web.git', false],
  ])('%s -> %s', (input, expected) => {
    expect(namesHostPath(input)).toBe(expected);
  });
});
