import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { HOME_LABEL, homeId } from '../../../src/run/home-id.js';
import { ScriptedRuntime, useCommandHarness } from '../../fakes/command-harness.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from '../../cli/commands/cli-versions.js';

const h = withCliVersions(useCommandHarness());

describe('the engine backend takes only containers of its own state home', () => {
  it('labels each agent with the home id, and sweeps or adopts none that merely names one of its workspaces', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = h.setup(fakeRegistry([docker]));
    const ws = h.workspaceOf(d, 'task-1');
    expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
    const id = homeId(d.state);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(docker.started.map((c) => c.spec.labels[HOME_LABEL])).toEqual([id]);

    const base = { running: true, exitCode: undefined, killed: false, startedAt: new Date().toISOString(), finishedAt: undefined };
    const labels = { 'dev.agentctl.workspace': ws, 'dev.agentctl.run': '7' };
    // Someone else on the engine labels a container with our workspace: it is not ours to stop.
    docker.add({ ...base, id: 'foreign', labels });
    docker.add({ ...base, id: 'forged-home', labels: { ...labels, [HOME_LABEL]: 'f'.repeat(32) } });
    // One of ours that no run claims is stopped.
    docker.add({ ...base, id: 'stray', labels: { ...labels, [HOME_LABEL]: id } });
    expect(await status({ json: true }, d)).toBe(0);
    expect(docker.stopped.map((s) => s.id)).toEqual(['stray']);
  });

  it('keeps the id it finds in the home, and refuses a damaged one with the fix', () => {
    const kept = mkdtempSync(join(tmpdir(), 'agentctl-home-id-'));
    writeFileSync(join(kept, 'home-id'), `${'a1'.repeat(16)}\n`);
    expect(homeId(kept)).toBe('a1'.repeat(16));
    const damaged = mkdtempSync(join(tmpdir(), 'agentctl-home-id-'));
    writeFileSync(join(damaged, 'home-id'), 'not an id\n');
    expect(() => homeId(damaged)).toThrow(`${join(damaged, 'home-id')} does not hold a state home id; remove it and agentctl makes a new one`);
    const fresh = join(mkdtempSync(join(tmpdir(), 'agentctl-home-id-')), 'new-home');
    expect(homeId(fresh)).toBe(readFileSync(join(fresh, 'home-id'), 'utf8').trim());
    for (const dir of [kept, damaged, fresh]) rmSync(dir, { recursive: true, force: true });
  });
});
