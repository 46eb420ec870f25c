import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';

let forge: Forge;

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'svc', { 'README.md': '# svc\n', 'AGENTS.md': 'Keep it small.\n' });
});
afterAll(() => forge.cleanup());

describe('run manifest and replay', () => {
  it('records what reproduces a finished run, and replay gives the same argv and prompt', () => {
    const home = makeTempDir('replay');
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nagents:\n  scribe:\n    native: true\n    command: [node, -e, 'require(\"fs\").writeFileSync(\"out.txt\", \"done\")', '{prompt_file}']\n`,
    );
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: join(home, 'state') };
    const args = ['--repo', 'acme/svc', '--issue', '4', '--agent', 'scribe', '--persona', 'test-engineer', '--plan-template', 'bugfix', '--var', 'ticket=T-9', '--task', 'Fix the flaky test'];
    const run = runCli(['dispatch', ...args, '--wait', '--json'], env);
    expect(run.code).toBe(0);
    const ws = JSON.parse(run.stdout).workspace as string;
    const manifest = JSON.parse(readFileSync(join(ws, '.meta', 'manifest.json'), 'utf8'));
    const prompt = readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8');
    expect(manifest).toMatchObject({
      version: 1,
      agentctl: '0.1.0',
      agent: 'scribe',
      agentCli: { name: 'node', version: process.version },
      runtime: 'host',
      template: 'coding',
      persona: 'test-engineer',
      planTemplate: 'bugfix',
      request: { repo: `${forge.url}/acme/svc.git`, issue: '4', agent: 'scribe', task: 'Fix the flaky test', var: ['ticket=T-9'] },
    });
    expect(manifest.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(manifest.promptSha256).toMatch(/^[0-9a-f]{64}$/);

    const replay = runCli(['replay', ws, '--dry-run', '--json'], env);
    expect(replay.code).toBe(0);
    const preview = JSON.parse(replay.stdout);
    expect(preview.workspace).toBe(ws);
    expect(preview.command).toEqual(manifest.argv);
    expect(preview.prompt).toBe(prompt);
  });

  it('says so when a workspace has no manifest', () => {
    const home = makeTempDir('replay-none');
    const ws = join(home, 'state', 'workspace', 'acme', 'svc', 'task-1');
    mkdirSync(join(ws, '.meta'), { recursive: true });
    const result = runCli(['replay', ws], { HOME: home, AGENTCTL_HOME: join(home, 'state') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`agentctl: ${ws} has no manifest.json to replay`);
  });
});
