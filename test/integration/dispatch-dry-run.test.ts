import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';

let forge: Forge;
let work: string;
let prHead: string;

function freshEnv(): { env: Record<string, string>; home: string; state: string } {
  const home = makeTempDir('home');
  const state = join(home, 'state');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:\n  forge: local\nforges:\n  local:\n    kind: forgejo\n    url: ${forge.url}\n    token_env: FORGE_TOKEN\n`,
  );
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state }, home, state };
}

function dryRun(env: Record<string, string>, ...args: string[]): Record<string, unknown> {
  const result = runCli(['dispatch', '--dry-run', '--json', ...args], env);
  // These tests point agentctl at no engine: the preview says a real run would fail (engine-choice.test.ts), and nothing else.
  expect(result.stderr).toMatch(/^(warning: a real run would fail: no container runtime is available [^\n]*\n)?$/);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

beforeAll(() => {
  forge = makeForge();
  work = forge.createRepo('acme', 'web', {
    'README.md': '# web\n',
    'AGENTS.md': 'Run `make check` before committing.\n',
    'src/app.js': 'console.log(1);\n',
  });
  git(work, 'tag', 'v1.0.0');
  git(work, 'push', '--quiet', 'origin', 'v1.0.0');
  forge.commit(work, { 'feature.txt': 'wip\n' }, 'Start feature', 'feature/login');
  prHead = forge.commit(work, { 'pr.txt': 'pr change\n' }, 'PR change', 'contrib');
  // Forges publish pull request heads as refs/pull/N/head.
  git(join(forge.dir, 'acme', 'web.git'), 'update-ref', 'refs/pull/7/head', prHead);
  git(work, 'checkout', '--quiet', 'main');
});

afterAll(() => forge.cleanup());

describe('dispatch --dry-run against real git', () => {
  it('prepares an issue workspace on a new agent branch, with a self-contained clone', () => {
    const { env, state } = freshEnv();
    const out = dryRun(env, '--repo', 'acme/web', '--issue', '42', '--task', 'Fix the login bug');
    const ws = join(state, 'workspace', 'acme', 'web', 'task-42');
    expect(out.workspace).toBe(ws);
    expect(out.repo).toBe('acme/web');
    expect(out.agent).toBe('codex');
    expect(out.branch).toBe('agent/issue-42');
    expect((out.command as string[]).slice(0, 4)).toEqual(['codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox']);
    expect((out.command as string[]).at(-1)).toBe(out.prompt);
    expect(out.prompt).toContain('Fix the login bug');
    expect(out.prompt).toContain('Run `make check` before committing.');
    expect(out.prompt).toContain('BLOCKED.md');
    expect(readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8')).toBe(out.prompt);

    const repo = join(ws, 'repo');
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('agent/issue-42');
    expect(git(repo, 'remote', 'get-url', 'origin')).toBe(`${forge.url}/acme/web.git`);
    expect(existsSync(join(repo, '.git', 'objects', 'info', 'alternates'))).toBe(false);
    // Made from the mirror, not fetched again from the forge, but with copies of its pack files: the agent may
    // rewrite any file of its checkout in place, and no inode of the mirror may be among them.
    const packs = readdirSync(join(repo, '.git', 'objects', 'pack')).filter((name) => name.endsWith('.pack'));
    expect(packs.length).toBeGreaterThan(0);
    for (const pack of packs) expect(statSync(join(repo, '.git', 'objects', 'pack', pack)).nlink).toBe(1);
    // Git must work with only the workspace present, as inside a container.
    const mirrors = join(state, 'cache');
    renameSync(mirrors, `${mirrors}.away`);
    try {
      expect(git(repo, 'log', '-1', '--format=%s')).toBe('Initial commit');
      expect(git(repo, 'fsck', '--no-dangling')).toBe('');
    } finally {
      renameSync(`${mirrors}.away`, mirrors);
    }
  });

  it('checks out a pull request head in pr-N', () => {
    const { env, state } = freshEnv();
    const out = dryRun(env, '--repo', 'acme/web', '--pr', '7');
    expect(out.workspace).toBe(join(state, 'workspace', 'acme', 'web', 'pr-7'));
    expect(out.commit).toBe(prHead);
    expect(git(join(out.workspace as string, 'repo'), 'rev-parse', 'HEAD')).toBe(prHead);
    expect(out.prompt).toContain('pull request #7');
  });

  it('works on an existing branch in a slot named after it', () => {
    const { env, state } = freshEnv();
    const out = dryRun(env, '--repo', 'acme/web', '--branch', 'feature/login', '--task', 'Finish the feature');
    const repo = join(state, 'workspace', 'acme', 'web', 'feature-login', 'repo');
    expect(out.workspace).toBe(join(state, 'workspace', 'acme', 'web', 'feature-login'));
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/login');
    expect(readFileSync(join(repo, 'feature.txt'), 'utf8')).toBe('wip\n');
  });

  it('checks out a tag detached', () => {
    const { env, state } = freshEnv();
    const out = dryRun(env, '--repo', 'acme/web', '--tag', 'v1.0.0', '--task', 'Audit this release');
    const repo = join(state, 'workspace', 'acme', 'web', 'v1.0.0', 'repo');
    expect(out.branch).toBeNull();
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD');
    expect(git(repo, 'describe', '--tags')).toBe('v1.0.0');
    expect(out.prompt).toContain('tag v1.0.0 (read-only)');
  });

  it('reuses the mirror on a second dispatch: fetched, not cloned again', () => {
    const { env, state } = freshEnv();
    dryRun(env, '--repo', 'acme/web', '--issue', '1');
    const mirrors = join(state, 'cache', 'mirrors', 'acme');
    const [mirror] = readdirSync(mirrors).filter((name) => name.endsWith('.git'));
    const marker = join(mirrors, mirror as string, 'agentctl-test-marker');
    writeFileSync(marker, 'kept if the mirror is not re-cloned');
    const newHead = forge.commit(work, { 'later.txt': 'later\n' }, 'Later change');
    const out = dryRun(env, '--repo', 'acme/web', '--issue', '2');
    expect(existsSync(marker)).toBe(true);
    expect(out.commit).toBe(newHead);
    // The clone was made before the fetch brought the new commit: it must have caught up entirely.
    const repo = join(out.workspace as string, 'repo');
    expect(git(repo, 'rev-parse', 'HEAD', 'main', 'origin/main')).toBe(`${newHead}\n${newHead}\n${newHead}`);
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('Later change');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'fsck', '--no-dangling')).toBe('');
    expect(git(repo, 'remote', 'get-url', 'origin')).toBe(`${forge.url}/acme/web.git`);
  });

  it('sees a branch pushed after the mirror was made', () => {
    const { env } = freshEnv();
    dryRun(env, '--repo', 'acme/web', '--issue', '3');
    const later = forge.commit(work, { 'late.txt': 'late\n' }, 'Late branch', 'late-branch');
    git(work, 'checkout', '--quiet', 'main');
    const out = dryRun(env, '--repo', 'acme/web', '--branch', 'late-branch', '--task', 'Finish it');
    expect(out.commit).toBe(later);
    expect(git(join(out.workspace as string, 'repo'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('late-branch');
  });

  it('sees a pull request opened, then force-pushed, after the mirror was made', () => {
    const { env } = freshEnv();
    dryRun(env, '--repo', 'acme/web', '--issue', '4');
    const bare = join(forge.dir, 'acme', 'web.git');
    const opened = forge.commit(work, { 'pr8.txt': 'first try\n' }, 'PR 8', 'contrib-8');
    // As for a PR from a fork, the head is reachable from refs/pull/8/head alone.
    git(bare, 'update-ref', 'refs/pull/8/head', opened);
    git(bare, 'update-ref', '-d', 'refs/heads/contrib-8');
    // The mirror lacks refs/pull/8/head: the clone made from it must still reach the new head.
    const first = dryRun(env, '--repo', 'acme/web', '--pr', '8');
    const firstRepo = join(first.workspace as string, 'repo');
    expect(first.commit).toBe(opened);
    expect(git(firstRepo, 'rev-parse', 'HEAD')).toBe(opened);
    expect(git(firstRepo, 'status', '--porcelain')).toBe('');
    expect(git(firstRepo, 'fsck', '--no-dangling')).toBe('');
    expect(git(firstRepo, 'remote', 'get-url', 'origin')).toBe(`${forge.url}/acme/web.git`);

    // The mirror has the old head, so the clone checks it out while the fetch brings the new one.
    git(work, 'checkout', '--quiet', 'main');
    const forced = forge.commit(work, { 'pr8.txt': 'second try\n' }, 'PR 8, again', 'contrib-8b');
    git(bare, 'update-ref', 'refs/pull/8/head', forced);
    git(bare, 'update-ref', '-d', 'refs/heads/contrib-8b');
    git(work, 'checkout', '--quiet', 'main');
    rmSync(first.workspace as string, { recursive: true, force: true });
    const second = dryRun(env, '--repo', 'acme/web', '--pr', '8');
    const secondRepo = join(second.workspace as string, 'repo');
    expect(second.commit).toBe(forced);
    expect(git(secondRepo, 'rev-parse', 'HEAD')).toBe(forced);
    expect(git(secondRepo, 'log', '-1', '--format=%s')).toBe('PR 8, again');
    expect(git(secondRepo, 'status', '--porcelain')).toBe('');
    expect(git(secondRepo, 'fsck', '--no-dangling')).toBe('');
  });

  it('sees a tag pushed after the mirror was made, detached', () => {
    const { env } = freshEnv();
    dryRun(env, '--repo', 'acme/web', '--issue', '5');
    const tagged = forge.commit(work, { 'release.txt': '2.0\n' }, 'Release 2.0');
    git(work, 'tag', 'v2.0.0');
    git(work, 'push', '--quiet', 'origin', 'v2.0.0');
    const out = dryRun(env, '--repo', 'acme/web', '--tag', 'v2.0.0', '--task', 'Review the release');
    const repo = join(out.workspace as string, 'repo');
    expect(out.commit).toBe(tagged);
    expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('HEAD');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(tagged);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'fsck', '--no-dangling')).toBe('');
    expect(git(repo, 'remote', 'get-url', 'origin')).toBe(`${forge.url}/acme/web.git`);
  });

  it('sees every edit of the config file, though the built CLI keeps validated configs', () => {
    const { env, home, state } = freshEnv();
    const path = join(home, 'config', 'agentctl', 'config.yaml');
    const agentOf = () => (JSON.parse(runCli(['config', 'show', '--json'], env).stdout) as { config: { defaults: { agent: string } } }).config.defaults.agent;
    expect(agentOf()).toBe('codex');
    expect(existsSync(join(state, 'cache', 'config.json'))).toBe(true);
    const edit = (from: string, to: string) => writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
    edit('  forge: local\n', '  forge: local\n  agent: claude\n');
    expect(agentOf()).toBe('claude');
    edit('agent: claude', 'agnet: claude');
    for (let i = 0; i < 2; i += 1) {
      const result = runCli(['config', 'show'], env);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`invalid config ${path}, line 3: defaults.agnet: unknown setting "agnet"`);
    }
  });

  it('accepts a git URL and a local path', () => {
    const { env, state } = freshEnv();
    const byUrl = dryRun(env, '--repo', `${forge.url}/acme/web.git`, '--issue', '3');
    expect(byUrl.workspace).toBe(join(state, 'workspace', 'acme', 'web', 'task-3'));
    const byPath = dryRun(env, '--repo', work, '--issue', '3');
    expect(byPath.workspace).toBe(join(state, 'workspace', 'local', 'web', 'task-3'));
  });

  it('keeps shell metacharacters in the task inert', () => {
    const { env, home } = freshEnv();
    const canary = join(home, 'pwned');
    const task = `Fix it; touch ${canary} $(touch ${canary}) \`touch ${canary}\` | cat && echo > ${canary}`;
    const out = dryRun(env, '--repo', 'acme/web', '--issue', '5', '--task', task);
    expect(out.prompt).toContain(task);
    expect((out.command as string[]).filter((arg) => arg.includes(task))).toHaveLength(1);
    expect(existsSync(canary)).toBe(false);
  });

  it('prints a readable preview without colour when not on a terminal', () => {
    const { env } = freshEnv();
    const result = runCli(['dispatch', '--dry-run', '--repo', 'acme/web', '--issue', '8', '--agent', 'claude:sonnet'], { ...env, ANTHROPIC_API_KEY: 'sk-secret-value' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Dry run');
    // claude runs in a container like every agent: the preview is the engine command, with its walls.
    expect(result.stdout).toMatch(/(docker|podman|container) run .*--cap-drop ALL/);
    expect(result.stdout).toContain("claude -p \"$(cat ");
    expect(result.stdout).toContain('ANTHROPIC_API_KEY');
    expect(result.stdout).not.toContain('sk-secret-value');
    expect(result.stdout).not.toContain('\u001b[');
  });
});

describe('hostile input is refused before anything is created', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['path to a non-repo', ['--repo', '../../../../../../etc/passwd', '--issue', '1'], /invalid --repo .*is not a git repository or bundle/],
    ['missing path', ['--repo', './no/such/dir', '--issue', '1'], /invalid --repo .*no such directory/],
    ['repo named ..', ['--repo', 'acme/..', '--issue', '1'], /invalid repo name "\.\."/],
    ['branch traversal', ['--repo', 'acme/web', '--branch', '../../../tmp/x'], /invalid branch name .*"\.\."/],
    ['branch as option', ['--repo', 'acme/web', '--branch=-rf'], /invalid branch name "-rf": it starts with "-"/],
    ['control character in tag', ['--repo', 'acme/web', '--tag', 'v1\u0007'], /invalid tag name .*control character U\+0007/],
    ['space in branch', ['--repo', 'acme/web', '--branch', 'a b'], /invalid branch name "a b": it contains a space/],
    ['ext:: transport', ['--repo', 'ext::sh -c touch% /tmp/agentctl-pwned', '--issue', '1'], /remote-helper transports/],
    ['token in URL', ['--repo', 'https://user:ghp_secret@example.com/o/r.git', '--issue', '1'], /embeds credentials/],
    ['issue zero', ['--repo', 'acme/web', '--issue', '0'], /invalid issue number "0"/],
    ['issue not a number', ['--repo', 'acme/web', '--issue', '1;rm'], /invalid issue number "1;rm"/],
    ['two targets', ['--repo', 'acme/web', '--issue', '1', '--pr', '2'], /--issue and --pr cannot be used together/],
    ['unknown agent', ['--repo', 'acme/web', '--issue', '1', '--agent', 'skynet'], /unknown agent "skynet"/],
    ['persona traversal', ['--repo', 'acme/web', '--issue', '1', '--persona', '../../etc/passwd'], /invalid persona name/],
    ['unknown template', ['--repo', 'acme/web', '--issue', '1', '--template', 'nope'], /unknown template "nope"/],
    ['unknown variable', ['--repo', 'acme/web', '--issue', '1', '--template', 'TEMPLATE_FILE'], /unknown variable \{\{ticket\}\}/],
    ['bad --var', ['--repo', 'acme/web', '--issue', '1', '--var', 'no equals'], /invalid --var "no equals"/],
    ['missing repo on forge', ['--repo', 'acme/missing', '--issue', '1'], /git clone of .*acme\/missing\.git failed/],
    ['missing tag', ['--repo', 'acme/web', '--tag', 'v9.9.9', '--task', 'x'], /tag v9\.9\.9 not found in acme\/web/],
    ['missing pr', ['--repo', 'acme/web', '--pr', '999'], /pull request #999 .* not found/],
    ['no task for ad-hoc run', ['--repo', 'acme/web'], /no task given/],
    ['huge task file', ['--repo', 'acme/web', '--issue', '1', '--task-file', 'HUGE_FILE'], /above the 1048576-byte prompt limit/],
  ];

  it.each(cases)('%s', (_name, args, message) => {
    const { env, home, state } = freshEnv();
    const templateFile = join(home, 'custom.md');
    writeFileSync(templateFile, 'Do {{task}} for {{ticket}}\n');
    const hugeFile = join(home, 'huge.txt');
    writeFileSync(hugeFile, 'x'.repeat(1024 * 1024 + 1));
    const resolved = args.map((arg) => arg.replace('TEMPLATE_FILE', templateFile).replace('HUGE_FILE', hugeFile));
    const result = runCli(['dispatch', '--dry-run', ...resolved], env);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/\nhint: /);
    expect(result.code).not.toBe(0);
    const workspaces = join(state, 'workspace');
    const left = existsSync(workspaces) ? readdirSync(workspaces, { recursive: true }) : [];
    expect(left.filter((entry) => String(entry).split('/').length >= 3)).toEqual([]);
    expect(existsSync('/tmp/agentctl-pwned')).toBe(false);
  });

  it('refuses a config file with a mistake, naming the file and line', () => {
    const { env, home } = freshEnv();
    const path = join(home, 'config', 'agentctl', 'config.yaml');
    writeFileSync(path, `forges:\n  local:\n    kind: gitlab\n    url: ${forge.url}\n`);
    const result = runCli(['dispatch', '--dry-run', '--repo', 'acme/web', '--issue', '1'], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`invalid config ${path}, line 3: forges.local.kind:`);
    expect(result.stderr).toContain('hint: a valid example:');
  });
});
