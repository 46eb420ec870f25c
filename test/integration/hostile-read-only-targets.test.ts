import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Tag checkouts and review agents get the repository read-only for real:
 * an agent that tries to change it fails to write (a read-only file
 * system), the run still ends honestly, and the next run on that tag finds
 * the tree exactly as the tag has it.
 */

let forge: Forge;
const engines = await testEngines();

/**
 * Tries every way into the checkout, and says in its log how each went:
 * a new file, an edit, a new directory, and the repository's own config.
 */
const WRITER = [
  'cd /workspace/repo',
  'for try in "echo planted > planted.txt" "echo edited >> README.md" "mkdir newdir" "echo \'[core] hooksPath = /tmp\' >> .git/config"; do',
  '  if sh -c "$try" 2>&1; then echo "WROTE: $try"; else echo "REFUSED: $try"; fi',
  'done',
  'echo review text > /workspace/outbox/review.md',
].join('\n');

/** A stand-in for the coderabbit CLI, committed in the repository and found through the PATH passed to it. */
const FAKE_CODERABBIT = `#!/bin/sh\n${WRITER}\n`;

beforeAll(() => {
  forge = makeForge();
  const work = forge.createRepo('acme', 'web', { 'README.md': '# web\n', 'bin/coderabbit': FAKE_CODERABBIT });
  chmodSync(join(work, 'bin', 'coderabbit'), 0o755);
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', 'executable');
  git(work, 'push', '--quiet', 'origin', 'main');
  git(work, 'tag', 'v1.0.0');
  git(work, 'push', '--quiet', 'origin', 'v1.0.0');
});
afterAll(() => forge.cleanup());

function setup(engine: { hostVar: string; url: string }): { env: Record<string, string>; state: string } {
  const home = makeTempDir('read-only-targets');
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
  writer:
    command: [sh, -c, ${JSON.stringify(WRITER)}]
  coderabbit:
    env: [PATH]
`,
  );
  const state = join(home, 'state');
  return {
    // The container gets this PATH by name: its first entry is the checkout's bin/, where the fake coderabbit is.
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, PATH: `/workspace/repo/bin:${process.env.PATH ?? '/usr/bin:/bin'}` },
    state,
  };
}

interface RunJson {
  state: string;
  workspace: string;
  reason?: string;
}

function log(workspace: string, agent: string): string {
  return readFileSync(join(workspace, 'outbox', `agent-${agent}.log`), 'utf8');
}

function expectUntouched(repo: string): void {
  expect(existsSync(join(repo, 'planted.txt'))).toBe(false);
  expect(existsSync(join(repo, 'newdir'))).toBe(false);
  expect(readFileSync(join(repo, 'README.md'), 'utf8')).toBe('# web\n');
  expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).not.toContain('hooksPath');
  expect(git(repo, 'status', '--porcelain')).toBe('');
}

describe.each(engines)('read-only targets on $name', (engine) => {
  if (!requireEngine(engine)) return;

  it('a run on a tag cannot write into the checkout, ends honestly, and the next run on the tag finds a clean tree', () => {
    const { env, state } = setup(engine);
    const args = ['dispatch', '--repo', 'acme/web', '--tag', 'v1.0.0', '--task', 'look around', '--agent', 'writer', '--runtime', engine.name, '--wait', '--json'];
    const first = runCli(args, env);
    expect(first.code, first.stderr).toBe(0);
    const run = JSON.parse(first.stdout) as RunJson;
    expect(run.state).toBe('completed');
    const { workspace } = run;
    expect(workspace.startsWith(state)).toBe(true);
    const written = log(workspace, 'writer');
    expect(written).toMatch(/Read-only file system/);
    expect(written).not.toMatch(/WROTE/);
    expectUntouched(join(workspace, 'repo'));

    const second = runCli(args, env);
    expect(second.code, second.stderr).toBe(0);
    expect(log(workspace, 'writer')).not.toMatch(/WROTE/);
    expectUntouched(join(workspace, 'repo'));
  }, 120_000);

  it('a review agent cannot write into the checkout; its review still comes back through the outbox', () => {
    const { env, state } = setup(engine);
    const result = runCli(['dispatch', '--repo', 'acme/web', '--branch', 'main', '--agent', 'coderabbit', '--runtime', engine.name, '--wait', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout) as RunJson;
    expect(run.state).toBe('completed');
    const { workspace } = run;
    expect(workspace.startsWith(state)).toBe(true);
    const written = log(workspace, 'coderabbit');
    expect(written).toMatch(/REFUSED: echo planted/);
    expect(written).not.toMatch(/WROTE/);
    expectUntouched(join(workspace, 'repo'));
    expect(readFileSync(join(workspace, 'outbox', 'review.md'), 'utf8')).toBe('review text\n');
  }, 120_000);
});
