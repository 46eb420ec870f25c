/**
 * A hostile agent on a remote engine (Docker over a real SSH server), aimed
 * at the copy back: names this machine cannot hold, and a workspace that
 * streams without end. Whatever the copy meets, the run is still watched:
 * its timeout and a cancel stop the agent, the run ends failed or cancelled
 * with a reason, and nothing is written outside the workspace.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines, type TestEngine } from '../support/test-engines.js';

const engines = (await testEngines({ ssh: true })).filter((engine) => engine.slot === 2);
/** Where the host extracts a copy of outbox/: `<workspace>/.meta/incoming-outbox-<12 hex>/`. */
const incomingPrefix = (ws: string) => `${workspaceLayout(ws).meta}/incoming-outbox-123456789012/`.length;
const PATH_MAX = 4096;

/** Directories that fit on this machine under `prefix`, holding a 200-byte file name that does not: the engine itself has a far shorter prefix. */
function deepPath(prefix: number): { dirs: string; file: string } {
  const target = PATH_MAX - 100 - prefix;
  const parts: string[] = [];
  while (parts.join('/').length + 201 <= target) parts.push('d'.repeat(200));
  parts.push('e'.repeat(target - parts.join('/').length - 1));
  return { dirs: parts.join('/'), file: 'f'.repeat(200) };
}

let forge: Forge;
beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'far', { 'README.md': '# far\n' });
});
afterAll(() => forge.cleanup());

describe.each(engines)('a hostile agent against the copy back from $label', (engine: TestEngine) => {
  if (!requireEngine(engine)) return;
  const runtime = engine.runtime;
  const workspaces: string[] = [];
  // A test that failed can leave its agent sleeping: it goes, whatever the assertions said.
  afterAll(async () => {
    for (const ws of workspaces) for (const c of await runtime.list({ 'dev.agentctl.workspace': ws })) await runtime.stop(c.id, 0).then(() => runtime.remove(c.id)).catch(() => undefined);
  });

  /** A state home with a long path (as a user's can be): this machine's names run out before the engine's. */
  function setup(agents: (state: string) => Record<string, string>, timeouts = ''): { env: Record<string, string>; home: string; state: string } {
    const home = join(makeTempDir('hostile-remote'), 'h'.repeat(200), 'i'.repeat(200), 'j'.repeat(200));
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    const state = join(home, 'state');
    const lines = Object.entries(agents(state))
      .map(([name, script]) => `  ${name}:\n    command: [sh, -c, ${JSON.stringify(script)}]\n`)
      .join('');
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n${engine.runtimeYaml}  image: ${TEST_IMAGE}\nqa:\n  enabled: false\n` +
        `timeouts:\n  grace: 1\n${timeouts}agents:\n${lines}`,
    );
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, home, state };
  }

  const wsOf = (state: string, issue: string) => {
    const ws = join(state, 'workspace', 'acme', 'far', `task-${issue}`);
    if (!workspaces.includes(ws)) workspaces.push(ws);
    return ws;
  };

  function deepAgent(state: string, issue: string): string {
    const { dirs, file } = deepPath(incomingPrefix(wsOf(state, issue)));
    return `cd ../outbox && mkdir -p ${dirs} && echo x > ${dirs}/${file} && echo planted && sleep 300`;
  }

  async function leftRunning(ws: string): Promise<string[]> {
    return (await runtime.list({ 'dev.agentctl.workspace': ws })).filter((c) => c.running).map((c) => c.id);
  }

  /** Nothing but the workspace tree (and agentctl's own files) under the state home; no copy left half-extracted. */
  function nothingOutside(home: string, ws: string): void {
    expect(readdirSync(home).sort()).toEqual(['config', 'state']);
    expect(readdirSync(workspaceLayout(ws).meta).filter((name) => name.startsWith('incoming-') || name.startsWith('replaced-'))).toEqual([]);
  }

  it('a file name this machine cannot hold, in the outbox while the agent runs: the --timeout still stops it, the run ends failed', async () => {
    const { env, home, state } = setup((state) => ({ deep: deepAgent(state, '1') }));
    const ws = wsOf(state, '1');
    const started = Date.now();
    const result = runCli(['dispatch', '--repo', 'acme/far', '--issue', '1', '--agent', 'deep', '--runtime', engine.name, '--timeout', '8', '--wait', '--json'], env);
    const status = result.stdout === '' ? undefined : JSON.parse(result.stdout);
    expect(await leftRunning(ws)).toEqual([]);
    expect(status, result.stderr.slice(-2000)).toMatchObject({ state: 'failed', stopReason: 'timeout' });
    expect((Date.now() - started) / 1000).toBeLessThan(60);
    nothingOutside(home, ws);
  }, 90_000);

  it('the same agent is cancelled over the connection: cancel stops it and the run ends cancelled', async () => {
    const { env, home, state } = setup((state) => ({ deep: deepAgent(state, '2') }));
    const ws = wsOf(state, '2');
    expect(runCli(['dispatch', '--repo', 'acme/far', '--issue', '2', '--agent', 'deep', '--runtime', engine.name], env).code).toBe(0);
    // Once the name is planted, a status brings the outbox back (and meets it).
    for (let i = 0; i < 40 && !readLog(ws).includes('planted'); i += 1) {
      runCli(['status', ws, '--json'], env);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const cancelled = runCli(['cancel', ws, '--json'], env);
    const running = await leftRunning(ws);
    expect(cancelled.code, cancelled.stderr.slice(-2000)).toBe(0);
    expect(running).toEqual([]);
    expect(JSON.parse(runCli(['status', ws, '--json'], env).stdout).runs[0]).toMatchObject({ state: 'cancelled' });
    nothingOutside(home, ws);
  }, 90_000);

  it('a sparse file of 100 GB in the outbox streams without end: the copy is cut at its deadline, the run still times out, with a warning', async () => {
    const { env, home, state } = setup(() => ({ sparse: 'truncate -s 100G ../outbox/sparse && echo started && sleep 300' }), '  transfer: 2\n');
    const ws = wsOf(state, '3');
    const started = Date.now();
    const result = runCli(['dispatch', '--repo', 'acme/far', '--issue', '3', '--agent', 'sparse', '--runtime', engine.name, '--timeout', '6', '--wait', '--json'], env);
    const status = result.stdout === '' ? undefined : JSON.parse(result.stdout);
    expect(await leftRunning(ws)).toEqual([]);
    expect(status, result.stderr.slice(-2000)).toMatchObject({ state: 'failed', stopReason: 'timeout' });
    expect(JSON.stringify(status.warnings)).toMatch(/outbox\/ could not be brought back .*(took longer than 2 s|an archive larger than)/);
    expect((Date.now() - started) / 1000).toBeLessThan(60);
    nothingOutside(home, ws);
  }, 90_000);
});

function readLog(ws: string): string {
  try {
    return readFileSync(join(ws, 'outbox', 'agent-deep.log'), 'utf8');
  } catch {
    return '';
  }
}
