import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_PREFIX } from '../../src/core/container/container-spec.js';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCliAsync } from '../support/run-cli-async.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Cancels landing at random points of runs' lives (queued, claimed, being
 * created, starting, running, finishing) on a real engine, ten runs at a
 * time against a pool limit of 2: after each cancel, every agent container
 * of this state home that is running belongs to a run whose status says it
 * is running. At the end, nothing of ours runs at all.
 */

const AGENTS = `agents:
  quick:
    command: [sh, -c, 'sleep 0.4']
    pool: racers
  slow:
    command: [sh, -c, 'sleep 60']
    pool: racers
pools:
  racers:
    limit: 2
`;
const ROUNDS = 10;
const RUNS = 10;

let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  for (const engine of engines) forge.createRepo('acme', `cancel-${engine.name}`, { 'README.md': '# cancel\n' });
});
afterAll(() => forge.cleanup());

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.each(engines)('cancels at random points on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;
  const runtime = engine.runtime;
  const repo = `cancel-${engine.name}`;

  function setup(): { env: Record<string, string>; state: string } {
    const home = makeTempDir(`cancel-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\nqa:\n  enabled: false\ntimeouts:\n  grace: 1\n${AGENTS}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state };
  }

  /** Running agent containers of this state home whose run's status does not say that run is running with them. */
  async function unaccounted(state: string): Promise<string[]> {
    const root = join(state, 'workspace') + sep;
    const running = (await runtime.list({ [`${LABEL_PREFIX}.run`]: true })).filter(
      (c) => c.running && (c.labels[`${LABEL_PREFIX}.workspace`] ?? '').startsWith(root),
    );
    return running.flatMap((c) => {
      const workspace = c.labels[`${LABEL_PREFIX}.workspace`] as string;
      let status: { state?: string; containerId?: string } = {};
      try {
        status = JSON.parse(readFileSync(workspaceLayout(workspace).status, 'utf8')) as typeof status;
      } catch {
        // no status: unaccounted
      }
      const claimed = status.state === 'running' && (status.containerId === undefined || status.containerId === c.id);
      return claimed ? [] : [`${c.id.slice(0, 12)} in ${workspace} (status ${status.state ?? 'missing'}, run ${c.labels[`${LABEL_PREFIX}.run`]})`];
    });
  }

  it(`${ROUNDS * RUNS} cancels leave no agent running that status does not show as running`, async () => {
    const { env, state } = setup();
    let cancels = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const runs = Array.from({ length: RUNS }, (_, i) => ({ issue: i + 1, agent: Math.random() < 0.3 ? 'quick' : 'slow', delay: Math.floor(Math.random() * 2500) }));
      await Promise.all(
        runs.map(async (r) => {
          // Dispatches spread over the first half second, each cancelled a random time later.
          await sleep(Math.floor(Math.random() * 500));
          const dispatched = await runCliAsync(['dispatch', '--repo', `acme/${repo}`, '--issue', String(r.issue), '--agent', r.agent, '--runtime', engine.name], env, { timeoutMs: 90_000 });
          expect(dispatched.code, `round ${round} issue ${r.issue}: ${dispatched.stderr}`).toBe(0);
          await sleep(r.delay);
          const cancelled = await runCliAsync(['cancel', `acme/${repo}/task-${r.issue}`], env, { timeoutMs: 90_000 });
          // A quick run may have ended first: nothing to cancel is an honest answer.
          expect([0, 2], `round ${round} issue ${r.issue}: ${cancelled.stderr}`).toContain(cancelled.code);
          cancels += 1;
          // Another run's cancel may be between its status write and the engine's removal: a few seconds settle
          // that, while an orphan (a 60 s agent) would still be running.
          let left = await unaccounted(state);
          for (let i = 0; i < 50 && left.length > 0; i++) left = (await sleep(200), await unaccounted(state));
          expect(left, `after cancelling issue ${r.issue} in round ${round}`).toEqual([]);
        }),
      );
    }
    expect(cancels).toBe(ROUNDS * RUNS);
    // Every run has ended: give the engine its moment to remove what exited, then nothing of ours is running.
    for (let i = 0; i < 50 && (await unaccounted(state)).length > 0; i++) await sleep(200);
    const root = join(state, 'workspace') + sep;
    const left = (await runtime.list({ [`${LABEL_PREFIX}.run`]: true })).filter((c) => c.running && (c.labels[`${LABEL_PREFIX}.workspace`] ?? '').startsWith(root));
    expect(left.map((c) => c.id)).toEqual([]);
  }, 900_000);
});
