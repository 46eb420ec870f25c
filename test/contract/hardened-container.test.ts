import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildContainerSpec, CREDENTIALS_MOUNT } from '../../src/core/container/container-spec.js';
import { CONTAINER_PATHS } from '../../src/core/workspace/layout.js';
import { wrapContainerArgv } from '../../src/core/run/wrap-argv.js';
import { contractSetup } from '../support/agent-clis.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * The real agent CLIs (pinned in test/support/agent-clis.sh, mounted
 * read-only into the test image) start inside the hardened container: read-only
 * root, tmpfs HOME, no capabilities, and their own credential directory
 * mounted read-only and copied into HOME by the wrapper. gemini writes next to
 * its credentials at start; a read-only ~/.gemini made it fail with EROFS.
 */
/**
 * claude 2.x is a glibc binary (claude.exe) that the test image, built from
 * the host's busybox and node, cannot load (exit 127 with or without the
 * hardening); the Debian agent image can. codex and gemini are Node programs.
 */
const CLIS = ['codex', 'gemini'];
const setup = contractSetup('hardened container', CLIS);
const engines = await testEngines();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `agentctl-hardened-${prefix}-`));
  dirs.push(dir);
  // The container runs as uid 1000 when the tests run as root.
  chmodSync(dir, 0o777);
  return dir;
}

describe.each(engines)('the agent CLIs in a hardened $name container', (engine) => {
  if (setup.skip || !requireEngine(engine)) return;
  const runtime = engine.runtime;

  it.each(CLIS)('%s --version runs, with its credentials copied into a writable HOME', async (cli) => {
    if (setup.problem !== undefined) throw new Error(setup.problem);
    const workspace = tempDir('ws');
    for (const part of ['repo', 'outbox', 'inbox']) {
      mkdirSync(join(workspace, part));
      chmodSync(join(workspace, part), 0o777);
    }
    const home = tempDir('home');
    mkdirSync(join(home, `.${cli}`));
    writeFileSync(join(home, `.${cli}`, 'settings.json'), '{}\n');
    const spec = buildContainerSpec({
      image: TEST_IMAGE,
      runId: `hardened-${engine.name}-${cli}-${process.pid}-${Date.now()}`,
      workspaceRoot: workspace,
      labels: { 'dev.agentctl.test': 'hardened-container' },
      configDirs: [{ name: `.${cli}`, hostPath: join(home, `.${cli}`), files: ['settings.json'] }],
      envNames: [],
      gitIdentity: { name: 'agentctl', email: 'agentctl@localhost' },
      hostUser: { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 },
      gpu: false,
      runtime: engine.name,
      argv: wrapContainerArgv([`/opt/node_modules/.bin/${cli}`, '--version'], {
        log: `${CONTAINER_PATHS.outbox}/agent.log`,
        stdin: undefined,
        exitCode: `${CONTAINER_PATHS.outbox}/exit-code`,
        credentials: `${CREDENTIALS_MOUNT}/.${cli}`,
      }),
      stdin: false,
      autoRemove: false,
    });
    // The CLIs' own install, read-only, beside the credentials.
    const withClis = { ...spec, configMounts: [...spec.configMounts, { hostPath: dirname(setup.dir), containerPath: '/opt/node_modules' }] };
    const { id } = await runtime.start(withClis, {});
    try {
      expect(await runtime.wait(id)).toEqual({ exitCode: 0 });
    } finally {
      await runtime.remove(id);
    }
    const log = readFileSync(join(workspace, 'outbox', 'agent.log'), 'utf8');
    expect(log).toMatch(/\d+\.\d+\.\d+/);
    expect(log).not.toMatch(/EROFS|read-only file system|permission denied/i);
    // Nothing went back to the host's credential directory.
    expect(readFileSync(join(home, `.${cli}`, 'settings.json'), 'utf8')).toBe('{}\n');
  }, 60_000);
});
