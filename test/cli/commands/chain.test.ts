import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as chain } from '../../../src/cli/commands/chain.js';
import { AgentctlError } from '../../../src/core/errors.js';
import { fakeDeps as makeDeps, type FakeDeps } from '../../fakes/fake-deps.js';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function withFile(text: string): FakeDeps {
  const d = makeDeps();
  homes.push(d.home);
  writeFileSync(join(d.home, 'feature.yaml'), text);
  return d;
}

const CHAIN = `tasks:
  - { id: docs, repo: acme/web, task: write docs, agent: gemini, depends_on: [build] }
  - { id: design, repo: acme/web, issue: 41, agent: claude }
  - { id: build, repo: acme/web, issue: 42, agent: codex, depends_on: [design], from_after: true }
`;

async function refusal(d: FakeDeps, opts: Record<string, unknown>): Promise<AgentctlError> {
  try {
    await chain(opts, d);
  } catch (error) {
    return error as AgentctlError;
  }
  throw new Error('expected the chain to be refused');
}

describe('chain', () => {
  it('--dry-run prints the order the tasks can start in, named after the file, and writes nothing', async () => {
    const d = withFile(CHAIN);
    expect(await chain({ args: ['feature.yaml'], dryRun: true }, d)).toBe(0);
    expect(d.io.stdout).toBe(
      [
        'Dry run: chain feature, 3 tasks in the order they can start; nothing was prepared or started.',
        '   1. design  claude on acme/web issue 41',
        '   2. build   codex on acme/web issue 42  after design',
        '   3. docs    gemini on acme/web  after build',
        '',
      ].join('\n'),
    );
    expect(existsSync(d.state)).toBe(false);
  });

  it('--dry-run --json: a stable shape', async () => {
    const d = withFile(CHAIN);
    expect(await chain({ args: ['feature.yaml'], dryRun: true, json: true }, d)).toBe(0);
    expect(JSON.parse(d.io.stdout)).toEqual({
      dryRun: true,
      name: 'feature',
      order: [
        { id: 'design', repo: 'acme/web', agent: 'claude', dependsOn: [] },
        { id: 'build', repo: 'acme/web', agent: 'codex', dependsOn: ['design'] },
        { id: 'docs', repo: 'acme/web', agent: 'gemini', dependsOn: ['build'] },
      ],
    });
  });

  it("checks each task against dispatch's own rules, naming the task and the field, before anything is written", async () => {
    const d = withFile(CHAIN.replace('issue: 41', 'issue: 41, priority: 5000'));
    const error = await refusal(d, { args: ['feature.yaml'] });
    expect(error.code).toBe('chain_invalid');
    expect(error.message).toBe('chain feature.yaml: task design: priority: Too big: expected number to be <=1000');
    expect(existsSync(d.state)).toBe(false);
  });

  it('refuses a cycle and leaves nothing behind', async () => {
    const d = withFile(CHAIN.replace('agent: claude }', 'agent: claude, depends_on: [docs] }'));
    const error = await refusal(d, { args: ['feature.yaml'] });
    expect(error.message).toBe('chain feature.yaml: the tasks depend on each other in a cycle: docs -> build -> design -> docs');
    expect(error.hint).toBe('break the cycle; nothing was started');
    expect(existsSync(d.state) ? readdirSync(d.state) : []).toEqual([]);
  });

  it('refuses a file that is missing, or not a file', async () => {
    const d = withFile(CHAIN);
    expect((await refusal(d, { args: ['nope.yaml'] })).code).toBe('chain_unreadable');
    expect((await refusal(d, { args: ['.'] })).message).toContain('is not a regular file');
  });
});
