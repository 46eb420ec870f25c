import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as dispatch } from '../../../src/cli/commands/dispatch.js';
import { workspaceLayout } from '../../../src/core/workspace/layout.js';
import { ScriptedRuntime, useCommandHarness } from '../../fakes/command-harness.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { withCliVersions } from './cli-versions.js';

/**
 * A dispatch writes nothing into a workspace until it is admitted: one that
 * is refused, and a dry run, leave a live run's files exactly as they were.
 */

const h = withCliVersions(useCommandHarness());
const LIMIT_1 = 'pools:\n  codex:\n    limit: 1\n';
const OTHER = 'A different task from a later dispatch';

function promptOf(ws: string): string {
  const layout = workspaceLayout(ws);
  const path = [layout.prompt, join(layout.meta, 'prompt.md')].find((p) => existsSync(p));
  return path === undefined ? '' : readFileSync(path, 'utf8');
}

function files(ws: string): { job: string; manifest: string; status: string; prompt: string } {
  const layout = workspaceLayout(ws);
  return {
    job: readFileSync(layout.job, 'utf8'),
    manifest: readFileSync(layout.manifest, 'utf8'),
    status: readFileSync(layout.status, 'utf8'),
    prompt: promptOf(ws),
  };
}

/** Run 1 holds the pool's one slot; run 2, dispatched with --push, waits in the queue. */
async function queuedRun() {
  const docker = new ScriptedRuntime('docker');
  const d = h.setup(fakeRegistry([docker]), { config: LIMIT_1 });
  expect(await dispatch({ repo: 'acme/web', issue: '1' }, d)).toBe(0);
  expect(await dispatch({ repo: 'acme/web', issue: '2', push: true }, d)).toBe(0);
  const ws = h.workspaceOf(d, 'task-2');
  expect(h.statusOf(d, 'task-2').state).toBe('queued');
  return { d, ws, before: files(ws) };
}

describe('dispatch admission', () => {
  it('a dispatch refused because a run is queued in the workspace changes none of its files', async () => {
    const { d, ws, before } = await queuedRun();
    await expect(dispatch({ repo: 'acme/web', issue: '2', task: OTHER }, d)).rejects.toMatchObject({ code: 'already_queued', exitCode: 2 });
    expect(files(ws)).toEqual(before);
    expect(JSON.parse(before.job).push).toBe(true);
    expect(before.prompt).not.toContain(OTHER);
  });

  it('a dry run previews its own prompt without writing into a queued run\'s workspace', async () => {
    const { d, ws, before } = await queuedRun();
    expect(await dispatch({ repo: 'acme/web', issue: '2', task: OTHER, dryRun: true, json: true }, d)).toBe(0);
    expect((JSON.parse(d.io.stdout.slice(d.io.stdout.indexOf('{'))) as { prompt: string }).prompt).toContain(OTHER);
    expect(files(ws)).toEqual(before);
  });

  it('a dry run of a workspace with no live run still leaves its prompt there to look at', async () => {
    const d = h.setup(fakeRegistry([new ScriptedRuntime('docker')]));
    expect(await dispatch({ repo: 'acme/web', issue: '3', task: OTHER, dryRun: true }, d)).toBe(0);
    expect(promptOf(h.workspaceOf(d, 'task-3'))).toContain(OTHER);
  });
});
