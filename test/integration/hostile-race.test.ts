import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCliAsync } from '../support/run-cli-async.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Two dispatches of the same issue at once, one with --push: exactly one is
 * admitted, and it runs with its own settings. The refused one changes
 * nothing in the admitted run's workspace, and a run dispatched without
 * --push never pushes.
 */

const AGENTS = `agents:
  racer:
    command: [sh, -c, 'echo work > race.txt; sleep 2']
`;
const OTHER_TASK = 'A different task from the second dispatch';

let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  // One repository per engine: a branch one engine's runs pushed must not be in the way of the other's.
  for (const engine of engines) forge.createRepo('acme', `race-${engine.name}`, { 'README.md': '# race\n' });
});
afterAll(() => forge.cleanup());

/** The prompt the run was given, wherever this version of agentctl keeps it. */
function promptOf(ws: string): string {
  const layout = workspaceLayout(ws);
  for (const path of [layout.prompt, join(layout.meta, 'prompt.md')]) if (existsSync(path)) return readFileSync(path, 'utf8');
  return '';
}

function branchPushed(repo: string, issue: number): boolean {
  try {
    git(join(forge.dir, 'acme', `${repo}.git`), 'rev-parse', '--verify', '--quiet', `refs/heads/agent/issue-${issue}`);
    return true;
  } catch {
    return false;
  }
}

/** What a refused dispatch must leave exactly as it was. */
function admittedFiles(ws: string): Record<string, string> {
  const layout = workspaceLayout(ws);
  const status = JSON.parse(readFileSync(layout.status, 'utf8')) as Record<string, unknown>;
  return {
    job: readFileSync(layout.job, 'utf8'),
    manifest: readFileSync(layout.manifest, 'utf8'),
    prompt: promptOf(ws),
    // The status's progress fields move while the agent runs; who runs, and since when, must not.
    status: JSON.stringify([status.state, status.runCount, status.startedAt, status.containerId, status.claimedBy, status.agent, status.seq]),
  };
}

describe.each(engines)('racing dispatches on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;
  const repo = `race-${engine.name}`;

  function env(): { env: Record<string, string>; state: string } {
    const home = makeTempDir(`race-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\nqa:\n  enabled: false\n${AGENTS}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state };
  }

  function dispatch(e: Record<string, string>, issue: number, push: boolean, wait: boolean) {
    const args = ['dispatch', '--repo', `acme/${repo}`, '--issue', String(issue), '--agent', 'racer', '--runtime', engine.name, '--json'];
    if (push) args.push('--push');
    else args.push('--task', OTHER_TASK);
    if (wait) args.push('--wait');
    return runCliAsync(args, e, { timeoutMs: 90_000 });
  }

  async function finished(e: Record<string, string>, ws: string): Promise<Record<string, any> | undefined> {
    for (let i = 0; i < 300; i++) {
      const one = (JSON.parse((await runCliAsync(['status', ws, '--json'], e)).stdout) as { runs: Record<string, any>[] }).runs[0];
      if (one?.state !== 'running' && one?.state !== 'queued') return one;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the run in ${ws} did not finish`);
  }

  it('a dispatch refused while a run is live changes none of its files, and the live run keeps its --push', async () => {
    const { env: e, state } = env();
    const ws = join(state, 'workspace', 'acme', repo, 'task-100');
    const first = await dispatch(e, 100, true, false);
    expect(first.code, first.stderr).toBe(0);
    const before = admittedFiles(ws);
    const second = await dispatch(e, 100, false, true);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('already running');
    expect(admittedFiles(ws)).toEqual(before);
    const final = await finished(e, ws);
    expect(final?.state).toBe('completed');
    expect(final?.pushed?.branch).toBe('agent/issue-100');
    expect(branchPushed(repo, 100)).toBe(true);
  }, 120_000);

  it('of two dispatches started at once, exactly one is admitted and runs with its own settings (10 trials)', async () => {
    const { env: e, state } = env();
    for (let issue = 1; issue <= 10; issue++) {
      const ws = join(state, 'workspace', 'acme', repo, `task-${issue}`);
      const [withPush, without] = await Promise.all([dispatch(e, issue, true, true), dispatch(e, issue, false, true)]);
      const admitted = [withPush, without].filter((r) => r.code === 0);
      const refused = [withPush, without].filter((r) => r.code !== 0);
      expect(admitted, `trial ${issue}: ${withPush.stderr}\n${without.stderr}`).toHaveLength(1);
      expect(refused[0]?.code).toBe(2);
      expect(refused[0]?.stderr).toMatch(/already (running|queued)/);
      const pushWon = admitted[0] === withPush;
      const final = JSON.parse(admitted[0]?.stdout ?? '{}') as Record<string, any>;
      expect(final.state, `trial ${issue}`).toBe('completed');
      const job = JSON.parse(readFileSync(workspaceLayout(ws).job, 'utf8')) as Record<string, unknown>;
      expect(job.push, `trial ${issue}: job.json is the admitted run's`).toBe(pushWon);
      const prompt = promptOf(ws);
      expect(prompt.includes(OTHER_TASK), `trial ${issue}: the prompt is the admitted run's`).toBe(!pushWon);
      expect(final.pushed?.branch, `trial ${issue}`).toBe(pushWon ? `agent/issue-${issue}` : undefined);
      expect(branchPushed(repo, issue), `trial ${issue}: pushed only by a run dispatched with --push`).toBe(pushWon);
    }
  }, 600_000);
});
