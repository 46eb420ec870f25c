import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchRouteSchema } from '../../src/core/config/schema.js';
import { AgentctlError, ExitCode } from '../../src/core/errors.js';
import type { RunStatus } from '../../src/core/run/status.js';
import { readClaims, updateClaims, type Claim } from '../../src/watch/watch-store.js';
import { watch, type WatchPorts } from '../../src/watch/watcher.js';
import { FakeForge } from '../fakes/fake-forge.js';
import { makeTempDir } from '../support/git-fixtures.js';

const DEAD = 999_999_999;
const route = watchRouteSchema.parse({ forge: 'gh', repos: ['acme/web'], agent: 'editor', priority: 3, poll_seconds: 1 });

const homes: string[] = [];

function setup() {
  const home = makeTempDir('watcher');
  homes.push(home);
  const forge = new FakeForge('gh');
  const statuses = new Map<string, RunStatus>();
  const dispatched: Array<{ number: number; agent: string | undefined; priority: number }> = [];
  const notes: string[] = [];
  const ws = (n: number) => join(home, 'workspace', 'acme', 'web', `task-${n}`);
  const run = (n: number, fields: Partial<RunStatus>) =>
    statuses.set(ws(n), { version: 1, state: 'queued', workspace: ws(n), repo: 'acme/web', agent: 'editor', pool: 'editor', runtime: 'host', runCount: 1, warnings: [], ...fields });
  const ports: WatchPorts & { dispatchError?: Error } = {
    home,
    pid: process.pid,
    clock: { now: () => new Date() },
    forge: async () => forge,
    async dispatch(r, _repo, number) {
      if (ports.dispatchError !== undefined) throw ports.dispatchError;
      dispatched.push({ number, agent: r.agent, priority: r.priority });
      run(number, { queuedAt: new Date().toISOString() });
      return ws(number);
    },
    answer: async () => false,
    runStatus: async (workspace) => statuses.get(workspace),
    alive: (pid) => pid === process.pid,
    notify: (line) => void notes.push(line),
  };
  const once = () => watch([route], ports, { once: true, signal: new AbortController().signal });
  const labels = (n: number) => forge.issues('acme/web').find((i) => i.number === n)?.labels;
  const issue = (n: number, ...l: string[]) => forge.issues('acme/web').push({ number: n, labels: l, comments: [] });
  const plant = (claim: Partial<Claim> & { number: number }) =>
    updateClaims(home, (claims) => {
      const key = `gh/acme/web/issue/${claim.number}`;
      const full: Claim = { key, forge: 'gh', owner: 'acme', repo: 'web', on: 'issues', label: 'agent:ready', stage: 'claimed', by: DEAD, claimedAt: new Date(Date.now() - 1000).toISOString(), ...claim };
      return { claims: { ...claims, [key]: full }, result: undefined };
    });
  return { home, forge, statuses, dispatched, notes, ports, once, labels, issue, plant, run, ws };
}

describe('watch: claims', () => {
  it('dispatches each labelled issue once, with the route settings, and moves its labels', async () => {
    const t = setup();
    t.issue(1, 'agent:ready', 'bug');
    t.issue(2, 'bug');
    t.issue(3, 'agent:ready', 'agent:running');
    expect(await t.once()).toBe(0);
    expect(await t.once()).toBe(0);
    expect(t.dispatched).toEqual([{ number: 1, agent: 'editor', priority: 3 }]);
    expect(t.labels(1)).toEqual(['bug', 'agent:running']);
    expect(readClaims(t.home)['gh/acme/web/issue/1']).toMatchObject({ stage: 'dispatched', workspace: t.ws(1) });
  });

  it('an issue another machine took between the list and the check is left alone', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    t.forge.beforeGet = (issue) => issue.labels.push('agent:running');
    await t.once();
    expect(t.dispatched).toEqual([]);
    expect(readClaims(t.home)).toEqual({});
  });

  it('a claim a live watcher holds is not touched', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    await t.plant({ number: 1, by: process.pid, stage: 'claimed' });
    t.ports.alive = () => true;
    t.ports.pid = process.pid + 1;
    await t.once();
    expect(t.dispatched).toEqual([]);
  });

  it('killed after recording the claim: the next watcher moves the labels and dispatches once', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    await t.plant({ number: 1, stage: 'claimed' });
    await t.once();
    await t.once();
    expect(t.dispatched.map((d) => d.number)).toEqual([1]);
    expect(t.labels(1)).toEqual(['agent:running']);
  });

  it('killed after recording the claim, and a person took the label off meanwhile: dropped, not dispatched', async () => {
    const t = setup();
    t.issue(1, 'bug');
    await t.plant({ number: 1, stage: 'claimed' });
    await t.once();
    expect(t.dispatched).toEqual([]);
    expect(readClaims(t.home)).toEqual({});
  });

  it('killed mid-dispatch after the run was admitted: the run is adopted, not dispatched again', async () => {
    const t = setup();
    t.issue(1, 'agent:running');
    await t.plant({ number: 1, stage: 'dispatching' });
    t.run(1, { state: 'running', queuedAt: new Date().toISOString() });
    await t.once();
    expect(t.dispatched).toEqual([]);
    expect(readClaims(t.home)['gh/acme/web/issue/1']).toMatchObject({ stage: 'dispatched', workspace: t.ws(1), by: process.pid });
  });

  it('killed mid-dispatch before anything was admitted (only an older run exists): dispatched once', async () => {
    const t = setup();
    t.issue(1, 'agent:running');
    await t.plant({ number: 1, stage: 'dispatching' });
    t.run(1, { state: 'completed', queuedAt: '2020-01-01T00:00:00.000Z' });
    await t.once();
    await t.once();
    expect(t.dispatched.map((d) => d.number)).toEqual([1]);
  });

  it('a dispatch that is refused marks the issue failed and says why on it', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    t.ports.dispatchError = new AgentctlError('unknown_agent', 'no agent "editor" is configured', { exitCode: ExitCode.usage });
    await t.once();
    expect(t.labels(1)).toEqual(['agent:failed']);
    const comment = t.forge.issues('acme/web')[0]?.comments.at(-1)?.body ?? '';
    expect(comment).toContain('<!-- agentctl:watch -->');
    expect(comment).toContain('could not dispatch this: no agent "editor" is configured');
    expect(readClaims(t.home)['gh/acme/web/issue/1']?.stage).toBe('ended');
  });
});

describe('watch: outcomes', () => {
  it('reports each ended run once, from the recorded state; a blocked run is answered and reported again', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    await t.once();
    t.run(1, { state: 'blocked', runCount: 1, question: 'Which DB?' });
    await t.once();
    expect(t.labels(1)).toEqual(['agent:blocked']);
    await t.once();
    const comments = () => t.forge.issues('acme/web')[0]?.comments.filter((c) => c.body.includes('<!-- agentctl:watch -->')) ?? [];
    expect(comments().length).toBe(1);

    // No reply yet: the answer service is not even asked.
    let asked = 0;
    t.ports.answer = async () => {
      asked += 1;
      return false;
    };
    await t.once();
    expect(asked).toBe(0);
    // A reply the answer service turns down (a stranger's) is handed to it once, not on every poll.
    const reply = (id: number, author: string) => t.forge.issues('acme/web')[0]?.comments.push({ id, author, body: 'Use MongoDB', createdAt: new Date().toISOString() });
    reply(10_000_000_000_001, 'mallory');
    await t.once();
    await t.once();
    expect(asked).toBe(1);
    expect(t.labels(1)).toEqual(['agent:blocked']);

    // A trusted reply: the answer service resumes the run (run 2).
    reply(10_000_000_000_002, 'maria');
    t.ports.answer = async (workspace) => {
      t.run(1, { state: 'queued', runCount: 2, workspace, queuedAt: new Date().toISOString() });
      return true;
    };
    await t.once();
    expect(t.labels(1)).toEqual(['agent:running']);
    t.run(1, { state: 'completed', runCount: 2, pullRequest: { number: 5, url: 'https://forge.test/acme/web/pull/5' } });
    await t.once();
    await t.once();
    expect(t.labels(1)).toEqual(['agent:done']);
    expect(comments().length).toBe(2);
    expect(comments()[1]?.body).toContain('Pull request: https://forge.test/acme/web/pull/5');
    expect(t.dispatched.length).toBe(1);
  });

  it('a person putting the ready label back after the end asks for another run', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    await t.once();
    t.run(1, { state: 'failed', runCount: 1 });
    await t.once();
    expect(t.labels(1)).toEqual(['agent:failed']);
    t.forge.issues('acme/web')[0]?.labels.push('agent:ready');
    await t.once();
    expect(t.dispatched.length).toBe(2);
  });
});

describe('watch: answered by hand', () => {
  it('a blocked run answered with agentctl answer goes back to running on the forge, and its end is reported', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    await t.once();
    t.run(1, { state: 'blocked', runCount: 1 });
    await t.once();
    await t.once();
    t.run(1, { state: 'running', runCount: 2 });
    await t.once();
    expect(t.labels(1)).toEqual(['agent:running']);
    t.run(1, { state: 'completed', runCount: 2 });
    await t.once();
    expect(t.labels(1)).toEqual(['agent:done']);
  });
});

describe('watch: a failing forge', () => {
  it('a failed poll dispatches nothing, counts for the exit, and the watcher record goes when it ends', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    t.forge.failing = { count: 1, error: new AgentctlError('forge_error', 'forge gh (github): GET /repos/acme/web/issues failed: HTTP 500', { exitCode: ExitCode.forge }) };
    expect(await t.once()).toBe(1);
    expect(t.dispatched).toEqual([]);
    expect(t.notes.join('\n')).toContain('HTTP 500');
    expect(existsSync(join(t.home, 'watch', 'watchers', `${process.pid}.json`))).toBe(false);
  });

  it('a long-running watcher backs a failing route off and records it for status, then recovers', async () => {
    const t = setup();
    t.issue(1, 'agent:ready');
    t.forge.failing = { count: 2, error: new Error('connect ECONNREFUSED 127.0.0.1:1') };
    const stop = new AbortController();
    const seen: Array<{ failures: number; nextPoll?: string; lastPoll?: string }> = [];
    const recordPath = join(t.home, 'watch', 'watchers', `${process.pid}.json`);
    const poll = setInterval(() => {
      if (!existsSync(recordPath)) return;
      const route = (JSON.parse(readFileSync(recordPath, 'utf8')) as { routes: typeof seen }).routes[0];
      if (route !== undefined) seen.push(route);
      if (t.dispatched.length > 0) stop.abort();
    }, 20);
    await watch([route], t.ports, { once: false, signal: stop.signal });
    clearInterval(poll);
    expect(seen.some((r) => r.failures === 2)).toBe(true);
    const backedOff = seen.find((r) => r.failures === 2);
    // poll_seconds 1, two failures in a row: the next poll 4 s after the last.
    expect(Date.parse(backedOff?.nextPoll ?? '') - Date.parse(backedOff?.lastPoll ?? '')).toBeGreaterThanOrEqual(3900);
    expect(t.dispatched.map((d) => d.number)).toEqual([1]);
  }, 20_000);
});

afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});
