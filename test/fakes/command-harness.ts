import type { AgentBackend } from '../../src/run/backend/agent-backend.js';
import type { GitClient } from '../../src/git/git-client.js';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { ContainerSpec, RuntimeName } from '../../src/core/container/container-spec.js';
import type { Env } from '../../src/runtime/runtime.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { FakeGitClient, fakeRepo } from './fake-git-client.js';
import { fakeDeps, type FakeDeps } from './fake-deps.js';
import type { FakeRegistry } from './fake-registry.js';
import { FakeRuntime } from './fake-runtime.js';

/** The image every harness config names, present in every ScriptedRuntime. */
export const IMAGE = 'localhost/agent:1';
/** fakeDeps' fixed time. */
export const NOW = '2026-11-23T10:00:00.000Z';

/** NOW plus some seconds, as an ISO string. */
export function isoAfter(seconds: number, from = NOW): string {
  return new Date(new Date(from).getTime() + seconds * 1000).toISOString();
}

/** A clock that stands still until the test moves it. */
export interface ManualClock {
  now(): Date;
  advance(seconds: number): void;
}

export function manualClock(start = NOW): ManualClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

/** What a container does once started: return an exit code to end it (after a tick), or undefined to keep it running. */
export type Step = (spec: ContainerSpec) => number | undefined;

/** A FakeRuntime that has IMAGE and whose containers each take the next scripted step when started. */
export class ScriptedRuntime extends FakeRuntime {
  readonly steps: Step[] = [];

  constructor(name: RuntimeName = 'docker') {
    super(name);
    this.images.add(IMAGE);
  }

  override async start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
    const started = await super.start(spec, env);
    const step = this.steps.shift();
    if (step !== undefined) {
      setTimeout(() => {
        const code = step(spec);
        if (code !== undefined) this.exit(started.id, code);
      }, 5);
    }
    return started;
  }
}

/** Poll until `predicate` holds (or fail after `timeoutMs`). */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('until: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

export const jsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The whole CLI (commander, error printing, exit code) over these deps, as `agentctl <args>` would run. */
export function cli(d: FakeDeps, ...args: string[]): Promise<number> {
  return main(['node', 'agentctl', ...args], () => d);
}

/** Forget what was printed so far. */
export function clearOutput(d: FakeDeps): void {
  d.io.stdout = '';
  d.io.stderr = '';
}

export interface CommandHarness {
  readonly forge: Forge;
  /** fakeDeps over `registry`, configured for the harness forge and IMAGE, plus `config` YAML; removed after the file. */
  setup(registry: FakeRegistry, options?: { env?: Record<string, string>; config?: string; backend?: AgentBackend; git?: GitClient }): FakeDeps;
  workspaceOf(d: FakeDeps, slot: string, repo?: string): string;
  statusOf(d: FakeDeps, slot: string): Record<string, unknown>;
}

/**
 * For command tests that dispatch for real (real git, fake engines): a forge
 * with acme/web made before the file's tests and everything removed after.
 */
export function useCommandHarness(): CommandHarness {
  let forge: Forge | undefined;
  const homes: string[] = [];
  beforeAll(() => {
    forge = makeForge();
    forge.createRepo('acme', 'web', { 'README.md': '# web\n' });
  });
  afterAll(() => {
    forge?.cleanup();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });
  const harness: CommandHarness = {
    get forge() {
      if (forge === undefined) throw new Error('the harness forge exists only inside tests');
      return forge;
    },
    setup(registry, options = {}) {
      const d = fakeDeps({ env: options.env ?? {}, runtimes: registry, ...(options.backend === undefined ? {} : { backend: options.backend }), ...(options.git === undefined ? {} : { git: options.git }) });
      homes.push(d.home);
      d.writeUserConfig(
        `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${harness.forge.url}\nruntime:\n  image: ${IMAGE}\n${options.config ?? ''}`,
      );
      return d;
    },
    workspaceOf: (d, slot, repo = 'acme/web') => join(d.state, 'workspace', ...repo.split('/'), slot),
    statusOf: (d, slot) => readJson(join(harness.workspaceOf(d, slot), '.meta', 'status.json')),
  };
  return harness;
}

/**
 * The harness with no git: each setup gets a FakeGitClient holding acme/web
 * (one commit, a README) and a PATH with no git on it, so a command that
 * shelled out to git would fail. For command tests that are not about git.
 */
export function withFakeGit(h: CommandHarness): CommandHarness {
  return {
    get forge() {
      return h.forge;
    },
    setup(registry, options = {}) {
      const git = new FakeGitClient({ [`${h.forge.url}/acme/web.git`]: fakeRepo() });
      return h.setup(registry, { ...options, git, env: { PATH: makeTempDir('no-git-path'), ...options.env } });
    },
    workspaceOf: (d, slot, repo) => h.workspaceOf(d, slot, repo),
    statusOf: (d, slot) => h.statusOf(d, slot),
  };
}
