import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * A hostile repository: instruction files and copy-list entries committed as
 * links to host files and directories. Neither a dry run nor a real dispatch
 * may read through them or write through them.
 */

const HOST_SECRET = `host-secret-${process.pid}-do-not-leak`;
const CANARY = `canary-${process.pid}-123`;

let forge: Forge;
let secrets: string;
let victimDir: string;
const engines = await testEngines();

/** Commit links (name → target) into org/name's main branch. */
function commitLinks(org: string, name: string, files: Record<string, string>, links: Record<string, string>): void {
  const work = forge.createRepo(org, name, files);
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(work, path));
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', 'Add links');
  git(work, 'push', '--quiet', 'origin', 'main');
}

beforeAll(() => {
  forge = makeForge();
  secrets = makeTempDir('host-secrets');
  writeFileSync(join(secrets, 'token.txt'), `${HOST_SECRET}\n`, { mode: 0o600 });
  victimDir = makeTempDir('host-victim');
  commitLinks('evil', 'instructions', { 'README.md': '# evil\n' }, { 'AGENTS.md': join(secrets, 'token.txt'), 'CLAUDE.md': '/proc/self/environ' });
  commitLinks('evil', 'copysource', { 'README.md': '# evil\n' }, { 'leak.txt': join(secrets, 'token.txt') });
  commitLinks('evil', 'copytarget', { 'README.md': '# evil\n', '.env.example': 'PORT=1\n' }, { hostdir: victimDir });
});
afterAll(() => forge.cleanup());

function setup(extra = '', engine?: { hostVar: string; url: string }): { env: Record<string, string>; state: string } {
  const home = makeTempDir('hostile-repo');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
forges:
  f:
    kind: forgejo
    url: ${forge.url}
runtime:
  image: ${TEST_IMAGE}
agents:
  noop:
    command: [sh, -c, 'echo done']
    env: [GITHUB_TOKEN]
repos:
  evil/copysource:
    copy:
      - { from: leak.txt, to: leaked.txt }
  evil/copytarget:
    copy:
      - { from: .env.example, to: hostdir/planted.txt }
${extra}`,
  );
  const state = join(home, 'state');
  const env: Record<string, string> = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, GITHUB_TOKEN: CANARY };
  if (engine !== undefined) env[engine.hostVar] = engine.url;
  return { env, state };
}

/** Every regular file under dir, read without following a link. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const info = lstatSync(path);
    if (info.isDirectory()) found.push(...filesUnder(path));
    else if (info.isFile()) found.push(path);
  }
  return found;
}

function expectNoLeak(state: string, ...outputs: string[]): void {
  for (const text of outputs) {
    expect(text).not.toContain(HOST_SECRET);
    expect(text).not.toContain(CANARY);
  }
  for (const file of filesUnder(state)) {
    const text = readFileSync(file, 'latin1');
    expect(text.includes(HOST_SECRET), `${file} holds the host secret`).toBe(false);
    expect(text.includes(CANARY), `${file} holds the canary token`).toBe(false);
  }
}

describe('a hostile repository on a dry run', () => {
  it('skips AGENTS.md and CLAUDE.md committed as links, with a warning, and never reads them', () => {
    const { env, state } = setup();
    const result = runCli(['dispatch', '--dry-run', '--json', '--repo', 'evil/instructions', '--issue', '1', '--agent', 'noop'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: .*AGENTS\.md.*link/);
    expect(result.stderr).toMatch(/warning: .*CLAUDE\.md.*link/);
    const out = JSON.parse(result.stdout) as { prompt: string };
    expect(out.prompt).not.toContain('Repository instructions');
    expectNoLeak(state, result.stdout, result.stderr);
  });

  it('refuses a copy-list entry whose source is a committed link, naming it, and leaves nothing behind', () => {
    const { env, state } = setup();
    const result = runCli(['dispatch', '--dry-run', '--repo', 'evil/copysource', '--issue', '2', '--agent', 'noop'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('leak.txt');
    expect(result.stderr).toMatch(/link/);
    expect(existsSync(join(state, 'workspace', 'evil', 'copysource', 'task-2'))).toBe(false);
    expectNoLeak(state, result.stdout, result.stderr);
  });

  it('refuses a copy-list entry whose target crosses a committed link, and never writes the host directory', () => {
    const { env, state } = setup();
    const result = runCli(['dispatch', '--dry-run', '--repo', 'evil/copytarget', '--issue', '3', '--agent', 'noop'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hostdir/planted.txt');
    expect(result.stderr).toMatch(/link/);
    expect(readdirSync(victimDir)).toEqual([]);
    expect(existsSync(join(state, 'workspace', 'evil', 'copytarget', 'task-3'))).toBe(false);
  });
});

describe.each(engines)('a hostile repository on a real $name dispatch', (engine) => {
  if (!requireEngine(engine)) return;

  it('runs without the linked instruction files and never puts a secret in the prompt, job or state', () => {
    const { env, state } = setup('', engine);
    const result = runCli(['dispatch', '--repo', 'evil/instructions', '--issue', '4', '--agent', 'noop', '--runtime', engine.name, '--wait', '--json'], env);
    expect(result.stderr).toMatch(/AGENTS\.md.*link/);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { state: string }).state).toBe('completed');
    expectNoLeak(state, result.stdout, result.stderr);
  });

  it('fails a dispatch whose copy target crosses a committed link, and the host directory stays empty', () => {
    const { env, state } = setup('', engine);
    const result = runCli(['dispatch', '--repo', 'evil/copytarget', '--issue', '5', '--agent', 'noop', '--runtime', engine.name, '--wait'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hostdir/planted.txt');
    expect(readdirSync(victimDir)).toEqual([]);
    expectNoLeak(state, result.stdout, result.stderr);
  });
});
