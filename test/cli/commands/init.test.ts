import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/init.js';
import { lineAsker, type Asker } from '../../../src/cli/prompt.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { stateHome } from '../../../src/cli/deps.js';
import { cli } from '../../fakes/command-harness.js';
import { fakeDeps, type FakeDeps } from '../../fakes/fake-deps.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function setup(options: { tty?: boolean } = {}): FakeDeps {
  const d = fakeDeps();
  homes.push(d.home);
  d.io.stdinIsTTY = options.tty ?? false;
  return d;
}

const userFile = (d: FakeDeps) => join(d.home, 'config', 'agentctl', 'config.yaml');
const load = (d: FakeDeps, cwd = d.cwd) => loadConfig({ env: d.env, home: d.home, cwd, stateHome: stateHome(d) });

/** Answers typed at the terminal, one per question; undefined is end of input (Ctrl-D). */
function typed(answers: Array<string | undefined>): { asker: () => Promise<Asker>; questions: string[] } {
  const questions: string[] = [];
  const asker = async (): Promise<Asker> => ({
    ask: async (question) => {
      questions.push(question);
      return answers.shift();
    },
    close: () => undefined,
  });
  return { asker, questions };
}

const never = async (): Promise<Asker> => {
  throw new Error('init asked a question without a terminal');
};

describe('init', () => {
  it('without a terminal: asks nothing, writes the user file with the defaults, and it loads', async () => {
    const d = setup();
    expect(await run({}, d, { asker: never })).toBe(0);
    expect(d.io.stdout).toBe(`${userFile(d)}\n`);
    expect(d.io.stderr).toBe('wrote the user config; next: export GITHUB_TOKEN=<token>, then "agentctl doctor"\n');
    const text = readFileSync(userFile(d), 'utf8');
    expect(text).toMatch(/^# agentctl configuration \(user file\)/);
    expect(text).toContain('token_env: GITHUB_TOKEN');
    const { config, sources } = await load(d);
    expect(sources).toEqual([userFile(d)]);
    expect(config.defaults).toMatchObject({ agent: 'codex', forge: 'github' });
    expect(config.defaults.org).toBeUndefined();
    expect(config.forges).toEqual({ github: { kind: 'github', url: 'https://github.com', token_env: 'GITHUB_TOKEN' } });
    expect(config.runtime.prefer).toBe('auto');
  });

  it('flags, --project: .agentctl.yaml in the current directory, found by the loader from a subdirectory', async () => {
    const d = setup();
    const project = join(d.home, 'proj');
    mkdirSync(join(project, 'src'), { recursive: true });
    const p = { ...d, cwd: project };
    const code = await run(
      { project: true, agent: 'claude:sonnet', forgeKind: 'forgejo', forgeUrl: 'https://git.example.org', org: 'acme', tokenEnv: 'MY_FORGE_TOKEN', runtime: 'podman', json: true },
      p,
      { asker: never },
    );
    expect(code).toBe(0);
    const path = join(project, '.agentctl.yaml');
    expect(JSON.parse(d.io.stdout)).toEqual({
      path,
      scope: 'project',
      overwritten: false,
      answers: { agent: 'claude:sonnet', forgeKind: 'forgejo', forgeUrl: 'https://git.example.org', org: 'acme', tokenEnv: 'MY_FORGE_TOKEN', runtime: 'podman' },
    });
    const { config, projectDir } = await load(d, join(project, 'src'));
    expect(projectDir).toBe(project);
    expect(config.defaults).toMatchObject({ agent: 'claude:sonnet', forge: 'git', org: 'acme' });
    expect(config.forges.git).toEqual({ kind: 'forgejo', url: 'https://git.example.org', token_env: 'MY_FORGE_TOKEN' });
    expect(config.runtime.prefer).toBe('podman');
    expect(readFileSync(path, 'utf8')).toContain('# api_url: https://git.example.org/api/v1');
  });

  it('on a terminal: asks each question with its default; Enter takes it', async () => {
    const d = setup({ tty: true });
    const t = typed(['gemini', 'forgejo', '', 'acme', '', 'podman']);
    expect(await run({}, d, { asker: t.asker })).toBe(0);
    expect(t.questions).toEqual([
      'Default agent (claude, codex, gemini, coderabbit, local; optionally :model) [codex]: ',
      'Forge kind (github, forgejo, gitea) [github]: ',
      'Forge URL [https://codeberg.org]: ',
      'Default org for bare repo names (empty for none) []: ',
      'Name of the variable holding the forge token (the name, not the token) [FORGEJO_TOKEN]: ',
      'Container runtime (auto, docker, podman, apple) [auto]: ',
    ]);
    expect(d.io.stderr).toMatch(/^agentctl init: a few questions for .*config\.yaml \(Enter takes the \[default\]\)\n/);
    const { config } = await load(d);
    expect(config.defaults).toMatchObject({ agent: 'gemini', forge: 'codeberg', org: 'acme' });
    expect(config.forges.codeberg).toEqual({ kind: 'forgejo', url: 'https://codeberg.org', token_env: 'FORGEJO_TOKEN' });
    expect(config.runtime.prefer).toBe('podman');
  });

  it('on a terminal: flags are not asked again, a wrong answer is asked again, end of input takes the defaults', async () => {
    const d = setup({ tty: true });
    const t = typed(['chatgpt', 'claude', 'https://user:pw@github.com', 'https://github.example.com', undefined]);
    expect(await run({ forgeKind: 'github', runtime: 'docker' }, d, { asker: t.asker })).toBe(0);
    expect(t.questions.map((q) => q.split(' [')[0])).toEqual(['Default agent (claude, codex, gemini, coderabbit, local; optionally :model)', 'Default agent (claude, codex, gemini, coderabbit, local; optionally :model)', 'Forge URL', 'Forge URL', 'Default org for bare repo names (empty for none)']);
    expect(d.io.stderr).toContain('  use one of claude, codex, gemini, coderabbit, local, optionally with :model, e.g. claude:sonnet\n');
    expect(d.io.stderr).toContain('  do not put credentials in the URL');
    const { config } = await load(d);
    expect(config.defaults).toMatchObject({ agent: 'claude', forge: 'github' });
    expect(config.forges.github).toEqual({ kind: 'github', url: 'https://github.example.com', token_env: 'GITHUB_TOKEN' });
    expect(config.runtime.prefer).toBe('docker');
  });

  it('gives up after three wrong answers (exit 2) and writes nothing', async () => {
    const d = setup({ tty: true });
    const t = typed(['x', 'y', 'z']);
    await expect(run({}, d, { asker: t.asker })).rejects.toMatchObject({ code: 'invalid_answer', exitCode: 2, hint: 'pass it as --agent instead' });
    expect(d.io.stderr.match(/ {2}use one of claude/g)).toHaveLength(2);
    expect(() => readFileSync(userFile(d))).toThrow(/ENOENT/);
  });

  it('never overwrites without --force (config_exists, exit 2); --force replaces', async () => {
    const d = setup();
    mkdirSync(join(d.home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(userFile(d), 'defaults:\n  agent: claude\n');
    expect(await cli(d, 'init', '--agent', 'gemini')).toBe(2);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe(
      `agentctl: ${userFile(d)} already exists; not overwriting it\nhint: pass --force to replace it, or edit it by hand ("agentctl config show" prints the merged config)\n`,
    );
    expect(readFileSync(userFile(d), 'utf8')).toBe('defaults:\n  agent: claude\n');

    d.io.stderr = '';
    expect(await cli(d, 'init', '--agent', 'gemini', '--force', '--json')).toBe(0);
    expect(JSON.parse(d.io.stdout)).toMatchObject({ path: userFile(d), scope: 'user', overwritten: true, answers: { agent: 'gemini' } });
    expect((await load(d)).config.defaults.agent).toBe('gemini');
  });

  it('refuses a bad flag before writing (exit 2)', async () => {
    const d = setup();
    expect(await cli(d, 'init', '--forge-kind', 'gitlab')).toBe(2);
    expect(d.io.stderr).toBe('agentctl: init: --forge-kind "gitlab": use one of github, forgejo, gitea\nhint: see "agentctl init --help"\n');
    expect(await cli(d, 'init', '--token-env', 'ghp_abc-123')).toBe(2);
    expect(d.io.stderr).toContain('must be an environment variable NAME');
    expect(() => readFileSync(userFile(d))).toThrow(/ENOENT/);
  });

  it('the stdin asker reads one line per question and writes the questions', async () => {
    const input = new PassThrough();
    let written = '';
    const asker = await lineAsker(input, (text) => {
      written += text;
    });
    input.write('claude\n\npodman\n');
    input.end();
    expect(await asker.ask('a? ')).toBe('claude');
    expect(await asker.ask('b? ')).toBe('');
    expect(await asker.ask('c? ')).toBe('podman');
    expect(await asker.ask('d? ')).toBeUndefined();
    asker.close();
    expect(written).toBe('a? b? c? d? ');
  });
});
