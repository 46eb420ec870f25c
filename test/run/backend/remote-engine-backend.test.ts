import { mkdirSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/core/run/status.js';
import { workspaceLayout } from '../../../src/core/workspace/layout.js';
import { remoteEngineBackend } from '../../../src/run/backend/remote-engine-backend.js';
import type { RunContext } from '../../../src/run/run-context.js';
import type { RemoteEngine } from '../../../src/runtime/runtime.js';
import { makeTempDir } from '../../support/git-fixtures.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';

/** Two zero blocks: an empty tar archive, as an engine sends an empty outbox. */
const EMPTY_TAR = Buffer.alloc(1024);

/** A remote engine that only counts the copies asked of it. */
function countingRemote(): RemoteEngine & { copies: string[] } {
  const copies: string[] = [];
  return {
    location: 'ssh',
    copies,
    create: async () => ({ id: 'unused' }),
    startCreated: async () => undefined,
    putArchive: async () => undefined,
    getArchive: async (_id, path) => {
      copies.push(path);
      return Readable.from([EMPTY_TAR]);
    },
  };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the remote engine backend while an agent runs', () => {
  it('copies the outbox back at most once a second, however often the run is looked at', async () => {
    const home = makeTempDir('remote-live');
    dirs.push(home);
    const workspace = `${home}/workspace/acme/web/task-1`;
    for (const dir of [workspaceLayout(workspace).outbox, workspaceLayout(workspace).meta]) mkdirSync(dir, { recursive: true });
    const engine = new FakeRuntime('docker');
    engine.add({ id: 'agent-1', running: true, exitCode: undefined, killed: false, labels: {}, startedAt: new Date().toISOString(), finishedAt: undefined });
    const remote = countingRemote();
    const ctx = { home, env: {}, notify: () => undefined, config: {}, user: { uid: 1000, gid: 1000 } } as unknown as RunContext;
    const backend = remoteEngineBackend(engine, remote, ctx);
    const status = { workspace, agent: 'claude', containerId: 'agent-1', runCount: 1 } as RunStatus;

    // --wait looks every few ms at first: each look used to copy the whole outbox (its log up to 64 MiB) across.
    for (let look = 0; look < 20; look += 1) expect(await backend.observe(status)).toEqual({ phase: 'running' });
    expect(remote.copies).toEqual(['/workspace/outbox']);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await backend.observe(status)).toEqual({ phase: 'running' });
    expect(remote.copies).toHaveLength(2);
  });
});
