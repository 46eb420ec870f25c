import { readFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const AGENTS = `agents:
  first:
    command: [sh, -c, 'sleep 2']
  long:
    command: [sh, -c, 'sleep 4']
  nap:
    command: [sh, -c, 'true']
  crash:
    command: [sh, -c, 'exit 1']
  writer:
    command: [sh, -c, 'echo from-a > /workspace/repo/from-a.txt']
  reader:
    command: [sh, -c, 'test "$(cat /workspace/repo/from-a.txt)" = from-a']
`;

let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'c', { 'README.md': '# c\n' });
  forge.createRepo('acme', 'qafail', { 'README.md': '# qa fails\n' });
});
afterAll(() => forge.cleanup());

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.each(engines)('dispatch --after on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;

  function setup(): { env: Record<string, string>; state: string; ws: (repo: string, issue: string) => string } {
    const home = makeTempDir(`chains-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n  prefer: ${engine.name}\nrepos:\n  acme/qafail:\n    qa: ["exit 1"]\n${AGENTS}`,
    );
    const state = join(home, 'state');
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' };
    return { env, state, ws: (repo, issue) => join(state, 'workspace', 'acme', repo, `task-${issue}`) };
  }

  function dispatch(env: Record<string, string>, repo: string, issue: string, agent: string, ...more: string[]) {
    const result = runCli(['dispatch', '--repo', `acme/${repo}`, '--issue', issue, '--agent', agent, ...more], env);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    return result;
  }

  function runs(env: Record<string, string>): Array<Record<string, any>> {
    const result = runCli(['status', '--json'], env);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout).runs;
  }

  async function until(env: Record<string, string>, done: (r: Array<Record<string, any>>) => boolean, seconds = 90) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const now = runs(env);
      if (done(now)) return now;
      if (Date.now() > deadline) throw new Error(`timed out; last status: ${JSON.stringify(now.map((r) => [r.workspace, r.state, r.reason]))}`);
      await sleep(500);
    }
  }

  function events(state: string): Array<Record<string, any>> {
    const path = join(state, 'events.jsonl');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
  }

  it('a run after another waits for it, named in status, and starts only once it has ended', async () => {
    const { env, state, ws } = setup();
    dispatch(env, 'c', '1', 'first');
    const queued = dispatch(env, 'c', '2', 'nap', '--after', 'acme/c/task-1');
    expect(queued.stderr).toContain('queued nap on acme/c (issue #2): waiting for its dependency: acme/c/task-1 (running)');
    const waiting = runs(env).find((r) => r.workspace === ws('c', '2'));
    expect(waiting).toMatchObject({ state: 'queued', after: [ws('c', '1')], waitingFor: 'waiting for its dependency: acme/c/task-1 (running)' });
    const final = await until(env, (r) => r.length === 2 && r.every((s) => s.state === 'completed'));
    const [a, b] = [final.find((r) => r.workspace === ws('c', '1')), final.find((r) => r.workspace === ws('c', '2'))];
    expect(new Date(b?.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(a?.finishedAt).getTime());
    const order = events(state).filter((e) => e.type === 'started' || e.type === 'finished').map((e) => `${e.type} ${(e.workspace as string).split('/').at(-1)}`);
    expect(order).toEqual(['started task-1', 'finished task-1', 'started task-2', 'finished task-2']);
  }, 120_000);

  it('a failing run cancels its dependants, and theirs in turn, naming the dependency; none of them starts', async () => {
    const { env, state, ws } = setup();
    dispatch(env, 'c', '1', 'crash');
    dispatch(env, 'c', '2', 'nap', '--after', 'acme/c/task-1');
    dispatch(env, 'c', '3', 'nap', '--after', ws('c', '2'));
    const final = await until(env, (r) => r.length === 3 && r.every((s) => s.state !== 'queued' && s.state !== 'running'));
    expect(final.map((r) => [r.workspace, r.state])).toEqual([
      [ws('c', '1'), 'failed'],
      [ws('c', '2'), 'cancelled'],
      [ws('c', '3'), 'cancelled'],
    ]);
    expect(final[1]).toMatchObject({ reason: 'dependency-failed: acme/c/task-1 ended failed', dependencyFailed: ws('c', '1') });
    expect(final[2]).toMatchObject({ reason: 'dependency-failed: acme/c/task-2 ended cancelled', dependencyFailed: ws('c', '2') });
    expect(events(state).filter((e) => e.type === 'started').map((e) => e.workspace)).toEqual([ws('c', '1')]);
  }, 120_000);

  it('a predecessor whose QA failed counts as failed', async () => {
    const { env, ws } = setup();
    dispatch(env, 'qafail', '1', 'nap');
    const result = runCli(['dispatch', '--repo', 'acme/c', '--issue', '2', '--agent', 'nap', '--after', 'acme/qafail/task-1', '--wait', '--json'], env);
    expect(result.code).not.toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ state: 'cancelled', reason: 'dependency-failed: acme/qafail/task-1 completed but its QA failed' });
    expect(runs(env).find((r) => r.workspace === ws('qafail', '1'))).toMatchObject({ state: 'completed', qa: { state: 'failed' } });
  }, 120_000);

  it('--from-after starts the checkout from the predecessor\'s collected work; without it the base', async () => {
    const { env, ws } = setup();
    dispatch(env, 'c', '1', 'writer');
    const from = runCli(['dispatch', '--repo', 'acme/c', '--issue', '2', '--agent', 'reader', '--after', 'acme/c/task-1', '--from-after', '--wait', '--json'], env);
    expect(from.stderr).not.toContain('error');
    expect(JSON.parse(from.stdout)).toMatchObject({ state: 'completed', after: [ws('c', '1')] });
    const without = runCli(['dispatch', '--repo', 'acme/c', '--issue', '3', '--agent', 'reader', '--after', 'acme/c/task-1', '--wait', '--json'], env);
    expect(JSON.parse(without.stdout)).toMatchObject({ state: 'failed', reason: 'agent exited with code 1' });
    const other = runCli(['dispatch', '--repo', 'acme/qafail', '--issue', '4', '--agent', 'reader', '--after', 'acme/c/task-1', '--from-after'], env);
    expect(other.stderr).toContain('--from-after: ' + ws('c', '1') + ' is a workspace of acme/c, not acme/qafail');
  }, 120_000);

  it('refuses --after a workspace with no dispatched run, and a run after itself', async () => {
    const { env } = setup();
    expect(runCli(['dispatch', '--repo', 'acme/c', '--issue', '1', '--agent', 'nap', '--dry-run'], env).code).toBe(0);
    const unknown = runCli(['dispatch', '--repo', 'acme/c', '--issue', '2', '--agent', 'nap', '--after', 'acme/c/task-9'], env);
    expect(unknown.stderr).toContain('no workspace "acme/c/task-9"');
    const dry = runCli(['dispatch', '--repo', 'acme/c', '--issue', '2', '--agent', 'nap', '--after', 'acme/c/task-1'], env);
    expect(dry.stderr).toContain('no run was dispatched in');
    expect(unknown.code).toBe(2);
    dispatch(env, 'c', '3', 'nap', '--wait');
    const self = runCli(['dispatch', '--repo', 'acme/c', '--issue', '3', '--agent', 'nap', '--after', 'acme/c/task-3'], env);
    expect(self.stderr).toContain('--after would make a cycle: acme/c/task-3 -> acme/c/task-3');
    expect(self.code).toBe(2);
  }, 60_000);
});

describe.each(engines)('agentctl chain on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;

  function setup(chain: string): { env: Record<string, string>; state: string; file: string } {
    const home = makeTempDir(`chain-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n  prefer: ${engine.name}\n${AGENTS}`,
    );
    const file = join(home, 'chain.yaml');
    writeFileSync(file, chain);
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state, file };
  }

  function statusJson(env: Record<string, string>): { runs: Array<Record<string, any>>; chains: Array<Record<string, any>> } {
    const result = runCli(['status', '--json'], env);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  }

  async function untilChain(env: Record<string, string>, state: string, seconds = 90) {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const status = statusJson(env);
      if (status.chains[0]?.state === state) return status;
      if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(status.chains)}`);
      await sleep(500);
    }
  }

  // Each test its own issues: container names repeat across state homes, so no test waits on another's leftovers.
  let issue = 0;
  const chain = (first = 'first') => {
    const [a, b, c] = [issue + 1, issue + 2, issue + 3];
    issue += 3;
    return {
      text: `name: feature
tasks:
  - { id: docs, repo: acme/c, issue: ${c}, agent: nap, depends_on: [build] }
  - { id: design, repo: acme/c, issue: ${a}, agent: ${first} }
  - { id: build, repo: acme/c, issue: ${b}, agent: nap, depends_on: [design] }
`,
      slots: [`task-${a}`, `task-${b}`, `task-${c}`],
    };
  };

  it('submits the tasks in order, and status shows the chain until it completes in that order', async () => {
    const { env, state, file } = setup(chain().text);
    const result = runCli(['chain', file, '--json'], env);
    expect(result.stderr).not.toContain('error');
    const submitted = JSON.parse(result.stdout);
    expect(submitted.name).toBe('feature');
    expect(submitted.tasks.map((t: any) => [t.id, t.state, t.dependsOn])).toEqual([
      ['design', 'running', []],
      ['build', 'queued', ['design']],
      ['docs', 'queued', ['build']],
    ]);
    const running = statusJson(env);
    expect(running.chains).toEqual([expect.objectContaining({ id: submitted.id, state: 'running' })]);
    const done = await untilChain(env, 'completed');
    expect(done.chains[0]?.tasks.map((t: any) => t.state)).toEqual(['completed', 'completed', 'completed']);
    const starts = Object.fromEntries(done.runs.map((r) => [r.chain.task, r]));
    expect(new Date(starts.build.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(starts.design.finishedAt).getTime());
    expect(new Date(starts.docs.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(starts.build.finishedAt).getTime());
    expect(runCli(['status'], env).stdout).toMatch(new RegExp(`${submitted.id}\\s+completed\\s+design completed, build completed, docs completed`));
    expect(existsSync(join(state, 'state', 'chains', `${submitted.id}.json`))).toBe(true);
  }, 120_000);

  it('a failing task cancels the rest of its chain, and the chain ends failed', async () => {
    const { text, slots } = chain('crash');
    const { env, file } = setup(text);
    expect(runCli(['chain', file], env).code).toBe(0);
    const done = await untilChain(env, 'failed');
    expect(done.chains[0]?.tasks.map((t: any) => [t.id, t.state, t.reason])).toEqual([
      ['design', 'failed', 'agent exited with code 1'],
      ['build', 'cancelled', `dependency-failed: acme/c/${slots[0]} ended failed`],
      ['docs', 'cancelled', `dependency-failed: acme/c/${slots[1]} ended cancelled`],
    ]);
  }, 120_000);

  it('refuses a cycle before anything starts: nothing queued, nothing under the workspace root', () => {
    const { env, state, file } = setup(chain().text.replace('agent: first }', 'agent: first, depends_on: [docs] }'));
    const result = runCli(['chain', file], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the tasks depend on each other in a cycle: docs -> build -> design -> docs');
    expect(existsSync(join(state, 'workspace'))).toBe(false);
    expect(existsSync(join(state, 'state', 'chains'))).toBe(false);
    expect(existsSync(state) ? readdirSync(state) : []).toEqual([]);
  });

  it('refuses tasks that would share a workspace, and removes the workspaces it had just prepared', () => {
    const { text, slots } = chain();
    const { env, state, file } = setup(text.replace(/issue: \d+, agent: nap, depends_on: \[build\]/, `issue: ${slots[0]?.slice('task-'.length)}, agent: nap, depends_on: [build]`));
    const result = runCli(['chain', file], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`chain tasks design and docs would both work in acme/c/${slots[0]}`);
    expect(readdirSync(join(state, 'workspace', 'acme', 'c'))).toEqual([]);
    expect(existsSync(join(state, 'state', 'chains'))).toBe(false);
  });

  it('survives SIGKILL of agentctl chain right after queueing, before anything started: the next status starts and finishes it', async () => {
    const { text, slots } = chain();
    const { env, state, file } = setup(text);
    const killed = runCli(['chain', file], { ...env, AGENTCTL_FAULT: 'after-chain-queued' });
    expect(killed.code).toBe(-1);
    // As the kill left them (status would start the first one itself).
    const left = slots.map((slot) => JSON.parse(readFileSync(join(state, 'workspace', 'acme', 'c', slot, '.meta', 'status.json'), 'utf8')).state);
    expect(left).toEqual(['queued', 'queued', 'queued']);
    expect(readdirSync(join(state, 'state', 'chains'))).toHaveLength(1);
    const done = await untilChain(env, 'completed');
    expect(done.chains[0]?.tasks.map((t: any) => t.state)).toEqual(['completed', 'completed', 'completed']);
  }, 120_000);

  it('survives SIGKILL of the supervisor mid-chain: the next status carries it to the end', async () => {
    const { text, slots } = chain('long');
    const { env, state, file } = setup(text);
    expect(runCli(['chain', file], env).code).toBe(0);
    const lock = join(state, 'state', 'supervisor.lock', 'pid');
    const deadline = Date.now() + 10_000;
    while (!existsSync(lock) && Date.now() < deadline) await sleep(100);
    const supervisor = Number(readFileSync(lock, 'utf8'));
    process.kill(supervisor, 'SIGKILL');
    // Long enough for the first task's agent to end with nobody watching it.
    await sleep(6000);
    const orphaned = JSON.parse(readFileSync(join(state, 'workspace', 'acme', 'c', slots[1] as string, '.meta', 'status.json'), 'utf8'));
    expect(orphaned.state).toBe('queued');
    const done = await untilChain(env, 'completed');
    expect(done.chains[0]?.tasks.map((t: any) => t.state)).toEqual(['completed', 'completed', 'completed']);
  }, 120_000);
});
