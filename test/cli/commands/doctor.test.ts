import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/doctor.js';
import { DEFAULT_IMAGE, type RuntimeName } from '../../../src/core/container/container-spec.js';
import { realSystemProbe, type SystemProbe } from '../../../src/doctor/gather-facts.js';
import { cli } from '../../fakes/command-harness.js';
import { fakeDeps, type FakeDeps } from '../../fakes/fake-deps.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';
import { cliVersionsPath, seedCliVersions } from './cli-versions.js';

const SECRET = 'sk-ant-api03-THIS-IS-A-SECRET-VALUE-42';
const TOKEN = 'ghp_ALSO_A_SECRET_TOKEN_VALUE_77';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function engine(name: RuntimeName, options: { up: boolean; image?: boolean }): FakeRuntime {
  const runtime = new FakeRuntime(name);
  if (!options.up) runtime.availability = { runtime: name, ok: false, detail: 'connect ENOENT /run/x.sock', endpoint: `unix:///run/${name}.sock` };
  else runtime.availability = { runtime: name, ok: true, detail: `${name === 'docker' ? 'Docker' : 'Podman'} Engine 9.9`, endpoint: `unix:///run/${name}.sock` };
  if (options.image === true) runtime.images.add(DEFAULT_IMAGE);
  return runtime;
}

/** A machine with git 2.39 and Node 24, no GPU, everything writable: only the engines differ between tests. */
function machine(overrides: Partial<SystemProbe> = {}): SystemProbe {
  return {
    onPath: () => false,
    nvidiaDevices: () => [],
    isDirectory: () => false,
    gitVersion: async () => ({ version: 'git version 2.39.5' }),
    nodeVersion: () => '24.21.0',
    writable: () => ({ writable: true }),
    hostCli: async () => ({ found: false }),
    ...overrides,
  };
}

function setup(runtimes: FakeRuntime[], env: Record<string, string> = {}): FakeDeps {
  const d = fakeDeps({ runtimes: fakeRegistry(runtimes), env });
  homes.push(d.home);
  // The agent CLIs' versions, as if asked before: a FakeRuntime container ends only when a test ends it.
  seedCliVersions(d, DEFAULT_IMAGE);
  return d;
}

/** Run doctor, ending each `<cli> --version` container it starts in `runtime` with `exitCode` (and `output` in its outbox). */
async function answeringProbes(runtime: FakeRuntime, exitCode: number, doctor: () => Promise<number>, output = ''): Promise<number> {
  let done = false;
  const answered = new Set<string>();
  const answer = (async () => {
    while (!done) {
      for (const { id, spec } of runtime.started) {
        if (spec.labels['dev.agentctl.role'] !== 'cli-version' || answered.has(id)) continue;
        answered.add(id);
        if (output !== '') writeFileSync(join(spec.mounts[0]?.hostPath ?? '', 'cli-version.txt'), output);
        runtime.exit(id, exitCode);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    return await doctor();
  } finally {
    done = true;
    await answer;
  }
}

const lineOf = (out: string, id: string) => out.split('\n').find((line) => new RegExp(`^(ok|warn|fail)\\s+${id.replace('.', '\\.')}\\s`).test(line));

describe('doctor', () => {
  it('no engine reachable: runtime fails, image is not checked, exit 4', async () => {
    const d = setup([engine('docker', { up: false }), engine('podman', { up: false })]);
    expect(await run({}, d, { system: machine() })).toBe(4);
    expect(lineOf(d.io.stdout, 'runtime')).toMatch(/^fail\s+runtime\s+no container runtime is reachable \(tried: docker, podman\) \(fix: start Docker/);
    expect(lineOf(d.io.stdout, 'runtime.docker')).toMatch(/^warn\s+runtime\.docker\s+docker: not reachable: connect ENOENT/);
    expect(lineOf(d.io.stdout, 'image')).toMatch(/^warn\s+image\s+localhost\/agentctl-agent:latest \(the default agent image\): not checked/);
    expect(d.io.stderr).toBe('1 problem a dispatch would fail on; fix the lines marked fail\n');
  });

  it('one engine with the image: ready, exit 0', async () => {
    const d = setup([engine('docker', { up: false }), engine('podman', { up: true, image: true })], { OPENAI_API_KEY: SECRET, GITHUB_TOKEN: TOKEN });
    expect(await run({}, d, { system: machine() })).toBe(0);
    expect(lineOf(d.io.stdout, 'runtime')).toMatch(/^ok\s+runtime\s+container runs use podman \(first available\)$/);
    expect(lineOf(d.io.stdout, 'runtime.podman')).toMatch(/^ok\s+runtime\.podman\s+podman: Podman Engine 9\.9 at unix:\/\/\/run\/podman\.sock$/);
    expect(lineOf(d.io.stdout, 'image')).toMatch(/^ok\s+image\s+localhost\/agentctl-agent:latest \(the default agent image\) is present in podman$/);
    expect(lineOf(d.io.stdout, 'agent.codex')).toMatch(/^ok\s+agent\.codex\s+codex \(the default agent\): OPENAI_API_KEY is set$/);
    expect(lineOf(d.io.stdout, 'forge.github')).toMatch(/^ok\s+forge\.github\s+github: github at https:\/\/github\.com, token in GITHUB_TOKEN \(set\)$/);
    expect(lineOf(d.io.stdout, 'node')).toMatch(/^ok\s+node\s+Node 24\.21\.0$/);
    expect(d.io.stdout.split('\n').filter(Boolean)).toHaveLength(14);
    expect(d.io.stderr).toMatch(/^ready to dispatch \(\d+ warnings?\)\n$/);
  });

  it('both engines: docker is used, and the image is looked for there', async () => {
    const d = setup([engine('docker', { up: true }), engine('podman', { up: true, image: true })]);
    expect(await run({}, d, { system: machine() })).toBe(4);
    expect(lineOf(d.io.stdout, 'runtime.docker')).toMatch(/^ok/);
    expect(lineOf(d.io.stdout, 'runtime.podman')).toMatch(/^ok/);
    expect(lineOf(d.io.stdout, 'image')).toMatch(/^fail\s+image\s+.* is not present in docker \(fix: agentctl image build --runtime docker/);

    // runtime.prefer picks the other one, where the image is.
    const p = setup([engine('docker', { up: true }), engine('podman', { up: true, image: true })], { AGENTCTL_RUNTIME: 'podman' });
    expect(await run({}, p, { system: machine() })).toBe(0);
    expect(lineOf(p.io.stdout, 'runtime')).toMatch(/container runs use podman \(runtime\.prefer is podman\)/);
  });

  it('--json: { ok, checks: [{ id, status, message, fix }] }, and exit 4 still', async () => {
    const d = setup([engine('docker', { up: false }), engine('podman', { up: false })]);
    expect(await run({ json: true }, d, { system: machine({ nodeVersion: () => '20.20.2' }) })).toBe(4);
    const out = JSON.parse(d.io.stdout) as { ok: boolean; checks: Array<Record<string, unknown>> };
    expect(Object.keys(out)).toEqual(['ok', 'checks']);
    expect(out.ok).toBe(false);
    for (const c of out.checks) {
      expect(Object.keys(c)).toEqual(['id', 'status', 'message', 'fix']);
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(c.fix === null || typeof c.fix === 'string').toBe(true);
    }
    expect(out.checks.find((c) => c.id === 'node')).toEqual({
      id: 'node',
      status: 'fail',
      message: 'Node 20.20.2 is older than the 22.12.0 agentctl needs',
      fix: 'install Node 22.12.0 or newer (e.g. Node 24)',
    });
    expect(out.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['runtime', 'node']);
    expect(d.io.stderr).toBe('');
  });

  it('never prints a secret, only the names of the variables that hold them', async () => {
    const env = { ANTHROPIC_API_KEY: SECRET, GEMINI_API_KEY: SECRET, CODERABBIT_API_KEY: SECRET, GITHUB_TOKEN: TOKEN };
    for (const json of [false, true]) {
      const d = setup([engine('docker', { up: true, image: true })], env);
      // Through the whole CLI, with the real machine probe.
      expect(await cli(d, 'doctor', ...(json ? ['--json'] : []))).toBeLessThanOrEqual(4);
      const all = d.io.stdout + d.io.stderr;
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(TOKEN);
      expect(all).not.toContain('THIS-IS-A-SECRET');
      expect(all).toContain('ANTHROPIC_API_KEY is set');
      expect(all).toContain('GEMINI_API_KEY is set');
      expect(all).toContain('token in GITHUB_TOKEN (set)');
    }
  });

  it('with the real machine: git and Node answer, the state dir is probed and left clean', async () => {
    const d = setup([engine('docker', { up: true, image: true })]);
    expect(await run({ json: true }, d)).toBe(0);
    const out = JSON.parse(d.io.stdout) as { checks: Array<{ id: string; status: string; message: string }> };
    const get = (id: string) => out.checks.find((c) => c.id === id);
    expect(get('git')).toMatchObject({ status: 'ok', message: expect.stringMatching(/^git version \d+\.\d+/) });
    expect(get('node')).toMatchObject({ status: 'ok', message: `Node ${process.versions.node}` });
    expect(get('home')).toMatchObject({ status: 'ok', message: `${d.state} is writable` });
    expect(realSystemProbe(d.env).writable(d.state)).toEqual({ writable: true });
  });

  it('an unwritable $AGENTCTL_HOME fails with exit 4', async () => {
    const docker = engine('docker', { up: true, image: true });
    const d = setup([docker]);
    const file = join(d.home, 'not-a-dir');
    writeFileSync(file, 'x');
    const e = { ...d, env: { ...d.env, AGENTCTL_HOME: join(file, 'state') } };
    expect(await answeringProbes(docker, 0, () => run({}, e), 'codex-cli 0.169.0\n')).toBe(4);
    expect(lineOf(d.io.stdout, 'home')).toMatch(/^fail\s+home\s+.*not-a-dir\/state is not writable: ENOTDIR.*\(fix: .*AGENTCTL_HOME/);
  });

  it('finds the default agent CLI missing from the image before a dispatch does, and its version when there', async () => {
    const docker = engine('docker', { up: true, image: true });
    const d = setup([docker]);
    rmSync(cliVersionsPath(d));
    expect(await answeringProbes(docker, 127, () => run({}, d, { system: machine() }))).toBe(4);
    expect(lineOf(d.io.stdout, 'cli.codex')).toMatch(
      /^fail\s+cli\.codex\s+codex \(the default agent\): codex is not in localhost\/agentctl-agent:latest: a dispatch would fail at once \(exit code 127\) \(fix: agentctl image build --runtime docker/,
    );
    // The probe is a short container with the agent's walls, running `codex --version`.
    const probe = docker.started.at(-1)?.spec;
    expect(probe?.argv.slice(-1)).toEqual(['codex']);
    expect(probe?.hardening).toMatchObject({ capAdd: [], readOnlyRoot: true, noNewPrivileges: true });

    const withCli = engine('docker', { up: true, image: true });
    const found = setup([withCli]);
    rmSync(cliVersionsPath(found));
    expect(await answeringProbes(withCli, 0, () => run({}, found, { system: machine() }), 'codex-cli 0.169.0\n')).toBe(0);
    expect(lineOf(found.io.stdout, 'cli.codex')).toMatch(/^ok\s+cli\.codex\s+codex \(the default agent\): codex codex-cli 0\.169\.0 in localhost\/agentctl-agent:latest$/);
  });

  it('agent config dirs count as credentials; GPU devices are reported', async () => {
    const d = setup([engine('docker', { up: true, image: true })]);
    const system = machine({
      isDirectory: (path) => path === join(d.home, '.claude'),
      nvidiaDevices: () => ['/dev/nvidia0'],
      onPath: (program) => program === 'nvidia-smi',
    });
    expect(await run({}, d, { system })).toBe(0);
    expect(lineOf(d.io.stdout, 'agent.claude')).toMatch(/^ok\s+agent\.claude\s+claude: ~\/\.claude exists \(mounted read-only\)$/);
    expect(lineOf(d.io.stdout, 'agent.gemini')).toMatch(/^warn\s+agent\.gemini\s+gemini: none of GEMINI_API_KEY, GOOGLE_API_KEY is set and there is no ~\/\.gemini/);
    expect(lineOf(d.io.stdout, 'gpu')).toMatch(/^warn\s+gpu\s+NVIDIA GPU found \(nvidia-smi\) but no NVIDIA container toolkit/);
  });
});
