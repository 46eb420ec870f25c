import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';

let forge: Forge;

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'app', { 'README.md': '# app\n', '.env.example': 'PORT=8080\n' });
});
afterAll(() => forge.cleanup());

function setup(repoSettings: string): { env: Record<string, string>; state: string; home: string } {
  const home = makeTempDir('hygiene');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  mkdirSync(join(home, 'secrets'));
  writeFileSync(join(home, 'secrets', 'local.txt'), 'from the host\n');
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
forges:
  f:
    kind: forgejo
    url: ${forge.url}
agents:
  lister:
    native: true
    command: [sh, -c, 'cat .env setup.txt > seen.txt']
repos:
  acme/app:
${repoSettings}`,
  );
  const state = join(home, 'state');
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state }, state, home };
}

const COPY_AND_SETUP = `    copy:
      - { from: .env.example, to: .env }
      - { from: ~/secrets/local.txt, to: config/local.txt }
    setup: echo setup-ran > setup.txt
`;

describe('untracked files and a setup command for new workspaces', () => {
  it('shows both in --dry-run and copies the files into the checkout', () => {
    const { env, state, home } = setup(COPY_AND_SETUP);
    const result = runCli(['dispatch', '--dry-run', '--repo', 'acme/app', '--issue', '1', '--agent', 'lister'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Copy       .env.example → repo/.env\n');
    expect(result.stdout).toContain(`Copy       ${home}/secrets/local.txt → repo/config/local.txt\n`);
    expect(result.stdout).toContain('Setup      echo setup-ran > setup.txt (runs in the workspace before the agent)\n');
    const repo = join(state, 'workspace', 'acme', 'app', 'task-1', 'repo');
    expect(readFileSync(join(repo, '.env'), 'utf8')).toBe('PORT=8080\n');
    expect(readFileSync(join(repo, 'config', 'local.txt'), 'utf8')).toBe('from the host\n');
    // The setup command runs with the agent, not during a preview.
    expect(existsSync(join(repo, 'setup.txt'))).toBe(false);
    const json = JSON.parse(runCli(['dispatch', '--dry-run', '--json', '--repo', 'acme/app', '--issue', '1', '--agent', 'lister'], env).stdout);
    expect(json.setup).toBe('echo setup-ran > setup.txt');
    expect(json.copies).toEqual([
      { from: '.env.example', to: '.env' },
      { from: `${home}/secrets/local.txt`, to: 'config/local.txt' },
    ]);
  });

  it('runs the setup command before the agent', () => {
    const { env, state } = setup(COPY_AND_SETUP);
    const result = runCli(['dispatch', '--repo', 'acme/app', '--issue', '2', '--agent', 'lister', '--wait'], env);
    expect(result.code).toBe(0);
    expect(readFileSync(join(state, 'workspace', 'acme', 'app', 'task-2', 'repo', 'seen.txt'), 'utf8')).toBe('PORT=8080\nsetup-ran\n');
  });

  it('fails the run, without starting the agent, when the setup command fails', () => {
    const { env, state } = setup('    setup: echo broken >&2; exit 3\n');
    const result = runCli(['dispatch', '--repo', 'acme/app', '--issue', '3', '--agent', 'lister', '--wait', '--json'], env);
    expect(result.code).toBe(10);
    expect(JSON.parse(result.stdout).reason).toBe('the setup command failed: echo broken >&2; exit 3 (see the agent log)');
    const ws = join(state, 'workspace', 'acme', 'app', 'task-3');
    expect(existsSync(join(ws, 'repo', 'seen.txt'))).toBe(false);
    expect(readFileSync(join(ws, 'outbox', 'agent-lister.log'), 'utf8')).toContain('broken\n');
  });

  it('refuses a copy that would land outside the checkout, before anything is made', () => {
    const { env, state } = setup('    copy:\n      - { from: .env.example, to: ../../escape }\n');
    const result = runCli(['dispatch', '--dry-run', '--repo', 'acme/app', '--issue', '4'], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('repos.acme/app.copy[0].to: "../../escape" leaves the checkout; it must be a relative path inside it, such as .env');
    expect(existsSync(join(state, 'workspace'))).toBe(false);
  });
});
