/**
 * The courier is the one door between a swarm task (untrusted) and this
 * machine: only the run's token opens it, the task names no path, and what
 * it sends back is extracted by the hostile-archive code.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../../src/core/workspace/layout.js';
import { courierRecord, receivedFile, serveCourier } from '../../../src/run/backend/swarm-courier.js';
import { makeTempDir } from '../../support/git-fixtures.js';

const TOKEN = 'run-token-1';
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function courier(): Promise<{ ws: string; url: string; log: string; stopped: Promise<void> }> {
  const ws = makeTempDir('courier');
  dirs.push(ws);
  const layout = workspaceLayout(ws);
  for (const dir of [layout.repo, layout.outbox, layout.inbox, layout.meta]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(layout.repo, 'README.md'), '# r\n');
  writeFileSync(layout.prompt, 'do it\n');
  const log = join(layout.outbox, 'agent-x.log');
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const port = await serveCourier({ workspace: ws, runCount: 1, logFile: log, token: TOKEN, bind: '127.0.0.1', owner: { uid: 1000, gid: 1000 }, deadline: Date.now() + 60_000 }, stop);
  return { ws, url: `http://127.0.0.1:${port}`, log, stopped };
}

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

describe('the swarm courier', () => {
  it('answers only the run\'s own token: another token reads nothing and writes nothing', async () => {
    const { url, log, ws } = await courier();
    expect((await fetch(`${url}/in`, { headers: auth('another-run') })).status).toBe(403);
    expect((await fetch(`${url}/in`)).status).toBe(403);
    expect((await fetch(`${url}/log?offset=0`, { method: 'POST', headers: auth('x'), body: 'forged' })).status).toBe(403);
    expect(existsSync(log)).toBe(false);
    expect((await fetch(`${url}/in`, { headers: auth() })).status).toBe(200);
    rmSync(courierRecord(ws, 1));
  });

  it("appends the live log where the task's last chunk ended (a replay is not doubled), and takes no path from the task", async () => {
    const { url, log, ws } = await courier();
    writeFileSync(log, '=== header ===\n');
    await fetch(`${url}/log?offset=15`, { method: 'POST', headers: auth(), body: 'one\n' });
    await fetch(`${url}/log?offset=15`, { method: 'POST', headers: auth(), body: 'replayed\n' });
    await fetch(`${url}/log?offset=19`, { method: 'POST', headers: auth(), body: 'two\n' });
    expect(readFileSync(log, 'utf8')).toBe('=== header ===\none\ntwo\n');
    expect((await fetch(`${url}/out/../../etc`, { method: 'PUT', headers: auth(), body: 'x' })).status).toBe(404);
    rmSync(courierRecord(ws, 1));
  });

  it('sends the workspace to one request at a time: a second GET /in while one is being sent is refused, not packed again', async () => {
    const { url, ws } = await courier();
    // More than the sockets buffer, so a request that does not read keeps its answer in progress.
    writeFileSync(join(workspaceLayout(ws).repo, 'big'), Buffer.alloc(16 * 1024 ** 2, 'x'));
    const first = request(`${url}/in`, { headers: auth() });
    first.on('error', () => undefined);
    const answered = new Promise<number>((resolve) => first.on('response', (m) => resolve(m.statusCode ?? 0)));
    first.end();
    expect(await answered).toBe(200);
    expect((await fetch(`${url}/in`, { headers: auth() })).status).toBe(503);
    first.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const again = await fetch(`${url}/in`, { headers: auth() });
    expect(again.status).toBe(200);
    await again.arrayBuffer();
    rmSync(courierRecord(ws, 1));
  });

  it('holds one body per endpoint at a time: a second log chunk or tree sent meanwhile is refused, not held (2 MiB or an extraction each)', async () => {
    const { url, log, ws } = await courier();
    const task = makeTempDir('task');
    dirs.push(task);
    mkdirSync(join(task, 'repo'));
    writeFileSync(join(task, 'repo', 'big'), Buffer.alloc(256 * 1024));
    // The first part of a valid archive, and of a log chunk: bodies still coming.
    const open = (path: string, method: string, start: Buffer) => {
      const r = request(`${url}${path}`, { method, headers: auth() });
      r.on('error', () => undefined);
      r.write(start);
      return r;
    };
    const slow = [open('/log?offset=0', 'POST', Buffer.alloc(64 * 1024, 'a')), open('/out/repo', 'PUT', execFileSync('tar', ['-C', task, '-cf', '-', 'repo']).subarray(0, 64 * 1024))];
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${url}/log?offset=0`, { method: 'POST', headers: auth(), body: 'meanwhile\n' })).status).toBe(503);
    expect((await fetch(`${url}/out/repo`, { method: 'PUT', headers: auth(), body: 'x' })).status).toBe(503);
    for (const r of slow) r.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${url}/log?offset=0`, { method: 'POST', headers: auth(), body: 'after\n' })).status).toBe(200);
    expect(readFileSync(log, 'utf8')).toBe('after\n');
    rmSync(courierRecord(ws, 1));
  });

  it('brings back no link: a planted one is left out and recorded, the host file is untouched; the courier ends at release, not before', async () => {
    const { url, ws, stopped } = await courier();
    const victim = join(makeTempDir('victim'), 'secret');
    dirs.push(join(victim, '..'));
    writeFileSync(victim, 'host secret\n');
    const task = makeTempDir('task');
    dirs.push(task);
    mkdirSync(join(task, 'repo'));
    mkdirSync(join(task, 'outbox'));
    writeFileSync(join(task, 'repo', 'work.txt'), 'work\n');
    symlinkSync(victim, join(task, 'repo', 'BLOCKED.md'));
    symlinkSync(victim, join(task, 'outbox', 'review.md'));
    for (const part of ['outbox', 'repo']) {
      const body = execFileSync('tar', ['-C', task, '-cf', '-', part]);
      expect((await fetch(`${url}/out/${part}`, { method: 'PUT', headers: auth(), body })).status).toBe(200);
    }
    // Both trees back (the agent can send them early and run on): the task must still hear a stop.
    expect((await fetch(`${url}/state`, { headers: auth() })).status).toBe(200);
    rmSync(courierRecord(ws, 1));
    await stopped;
    const layout = workspaceLayout(ws);
    expect(readFileSync(join(layout.repo, 'work.txt'), 'utf8')).toBe('work\n');
    expect(existsSync(join(layout.repo, 'BLOCKED.md'))).toBe(false);
    expect(() => lstatSync(join(layout.outbox, 'review.md'))).toThrow();
    expect(JSON.parse(readFileSync(receivedFile(ws, 1, 'repo'), 'utf8')).skipped).toMatch(/1 entries of repo\/ were not brought back/);
    expect(readFileSync(victim, 'utf8')).toBe('host secret\n');
  });
});
