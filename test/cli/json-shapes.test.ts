import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { dispatchPreviewJson, doctorJson, eventJson, finalRunJson, runStatusJson, statusJson } from '../../src/cli/json-shapes.js';
import { fakeRegistry } from '../fakes/fake-registry.js';
import { clearOutput, cli, ScriptedRuntime, until, useCommandHarness, withFakeGit } from '../fakes/command-harness.js';
import { withCliVersions } from './commands/cli-versions.js';

/** No git: the fake client's repository, and no git on PATH, so a command that shelled out to git would fail. */
const h = withFakeGit(withCliVersions(useCommandHarness()));

/**
 * What a command printed, taken through its documented shape: it must parse,
 * and parsing must drop nothing (zod objects strip keys they do not know, so
 * a field printed but not in the shape makes the two differ).
 */
function holds(schema: z.ZodType, printed: string): void {
  const value: unknown = JSON.parse(printed);
  expect(schema.parse(value)).toEqual(value);
}

describe('the --json shapes of docs/reference/json.md are what the commands print', () => {
  it('dispatch --dry-run, dispatch --wait, status and events', async () => {
    const runtime = new ScriptedRuntime();
    runtime.steps.push(() => 0);
    const d = h.setup(fakeRegistry([runtime]));

    expect(await cli(d, 'dispatch', '--repo', 'acme/web', '--issue', '7', '--dry-run', '--json')).toBe(0);
    holds(dispatchPreviewJson, d.io.stdout);
    clearOutput(d);

    expect(await cli(d, 'dispatch', '--repo', 'acme/web', '--issue', '7', '--wait', '--json')).toBe(0);
    holds(finalRunJson, d.io.stdout);
    clearOutput(d);

    expect(await cli(d, 'status', '--json')).toBe(0);
    holds(statusJson, d.io.stdout);
    expect(JSON.parse(d.io.stdout).runs).toHaveLength(1);
    clearOutput(d);

    expect(await cli(d, 'events', '--json')).toBe(0);
    const lines = d.io.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => eventJson.parse(JSON.parse(line))).not.toThrow();
  });

  it('dispatch without --wait, and cancel', async () => {
    const runtime = new ScriptedRuntime();
    runtime.steps.push(() => undefined);
    const d = h.setup(fakeRegistry([runtime]));
    expect(await cli(d, 'dispatch', '--repo', 'acme/web', '--issue', '8', '--json')).toBe(0);
    holds(runStatusJson, d.io.stdout);
    const { workspace } = JSON.parse(d.io.stdout) as { workspace: string };
    clearOutput(d);
    await until(() => h.statusOf(d, 'task-8').state === 'running');
    expect(await cli(d, 'cancel', workspace, '--json')).toBe(0);
    holds(runStatusJson, d.io.stdout);
  });

  it('doctor', async () => {
    const d = h.setup(fakeRegistry([new ScriptedRuntime()]));
    expect(await cli(d, 'doctor', '--json')).toBeLessThanOrEqual(4);
    holds(doctorJson, d.io.stdout);
  });
});
