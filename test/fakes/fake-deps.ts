import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deps } from '../../src/cli/deps.js';
import type { ForgeAccess } from '../../src/forge/forge-access.js';
import type { GitClient } from '../../src/git/git-client.js';
import { SimpleGitClient } from '../../src/git/simple-git-client.js';
import type { RuntimeRegistry } from '../../src/runtime/registry.js';
import type { AgentBackend } from '../../src/run/backend/agent-backend.js';
import { chooseBackend } from '../../src/run/backend/choose-backend.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { FakeHostRunner } from './fake-host-runner.js';
import { fakeIO, type FakeIO } from './fake-io.js';

export interface FakeDeps extends Deps {
  io: FakeIO;
  /** How many times a command asked for the background supervisor. */
  supervisorStarts: number;
  home: string;
  state: string;
  writeUserConfig(yaml: string): string;
}

/**
 * Deps for command tests: captured output, a fixed clock and ids, a temp
 * home and state dir, real git (or the test's GitClient), and whatever runtimes the test supplies.
 */
export function fakeDeps(
  options: { env?: Record<string, string>; runtimes?: RuntimeRegistry; backend?: AgentBackend; forges?: ForgeAccess; git?: GitClient; isTTY?: boolean; stderrIsTTY?: boolean; uid?: number } = {},
): FakeDeps {
  const home = makeTempDir('cmd-home');
  const state = join(home, 'state');
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, PATH: process.env.PATH, ...options.env };
  let uuid = 0;
  const runtimes: RuntimeRegistry = options.runtimes ?? {
    get: async (name) => {
      throw new Error(`no runtime ${name} in this test`);
    },
    probeAll: async () => [],
    host: new FakeHostRunner(),
  };
  const deps: FakeDeps = {
    supervisorStarts: 0,
    pid: process.pid,
    startSupervisor: async () => {
      deps.supervisorStarts += 1;
    },
    io: fakeIO({ isTTY: options.isTTY ?? false, stderrIsTTY: options.stderrIsTTY ?? false }),
    env,
    home,
    state,
    cwd: home,
    clock: { now: () => new Date('2026-11-23T10:00:00.000Z') },
    random: { uuid: () => `00000000-0000-4000-8000-${String(++uuid).padStart(12, '0')}`, float: () => 0.5 },
    user: { uid: options.uid ?? 1000, gid: options.uid ?? 1000 },
    platform: 'linux',
    git: async () => options.git ?? new SimpleGitClient(env),
    runtimes: async () => runtimes,
    // The real adapters over the test's fake engines, unless the test hands in its own run port.
    agentBackend: async (runtime, ctx) => options.backend ?? chooseBackend(runtime, ctx),
    forges: () =>
      options.forges ?? {
        forRepo: async () => undefined,
        byKey: async (key) => {
          throw new Error(`no forge ${key} in this test`);
        },
      },
    writeUserConfig(yaml: string) {
      const dir = join(home, 'config', 'agentctl');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.yaml'), yaml);
      return join(dir, 'config.yaml');
    },
  };
  return deps;
}
