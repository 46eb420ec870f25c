import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCliAsync } from '../support/run-cli-async.js';
import { requireEngine, TEST_IMAGE, testEngines, type TestEngine } from '../support/test-engines.js';

// The engines as each test points agentctl at them: a real one, or a socket nobody listens on.
const engines = await testEngines();
const DEAD = { docker: 'unix:///tmp/agentctl-no-such-docker.sock', podman: 'unix:///tmp/agentctl-no-such-podman.sock' };

let forge: Forge;
/** A stand-in for Ollama on the host: answers every request with a token, and counts them. */
let server: Server;
let port: number;
const TOKEN = `hello-from-the-host-${process.pid}`;
let requests = 0;

beforeAll(async () => {
  forge = makeForge();
  forge.createRepo('acme', 'plain', { 'README.md': '# plain\n' });
  server = createServer((_req, res) => {
    requests += 1;
    res.end(TOKEN);
  });
  // Every address: the container comes from the engine's bridge, not from loopback.
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  forge.cleanup();
});

function home(config: string): { env: Record<string, string>; state: string } {
  const dir = makeTempDir('engine-choice');
  mkdirSync(join(dir, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'agentctl', 'config.yaml'),
    `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n${config}`,
  );
  const state = join(dir, 'state');
  return { env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), AGENTCTL_HOME: state, CI: 'true' }, state };
}

const podman = engines.find((engine) => engine.name === 'podman') as TestEngine;

describe.each(engines)('the host as the agent on $name reaches it', (engine) => {
  if (!requireEngine(engine)) return;

  it('a server on the host answers the name agentctl gives the container', async () => {
    // Bounded: nc gives up after 5 s, the run after 60. (The test image's busybox wget crashes here; its nc works.)
    const request = `printf "GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n" | nc -w 5 "$AGENTCTL_HOST_GATEWAY" ${port} > answer.txt`;
    const { env, state } = home(`agents:\n  reach:\n    command: [sh, -c, '${request}']\n`);
    const before = requests;
    const result = await runCliAsync(['dispatch', '--repo', 'acme/plain', '--issue', '1', '--agent', 'reach', '--runtime', engine.name, '--wait', '--json', '--timeout', '60'], {
      ...env,
      [engine.hostVar]: engine.url,
    }, { timeoutMs: 90_000 });
    expect(result.stderr).not.toContain('warning:');
    const status = JSON.parse(result.stdout);
    expect(status.state).toBe('completed');
    expect(result.code).toBe(0);
    const answer = readFileSync(join(state, 'workspace', 'acme', 'plain', 'task-1', 'repo', 'answer.txt'), 'utf8');
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith(`\r\n\r\n${TOKEN}`)).toBe(true);
    expect(requests).toBe(before + 1);
  }, 120_000);

  it('the local agent is pointed at Ollama by that same name', async () => {
    const { env } = home('');
    const result = await runCliAsync(['dispatch', '--dry-run', '--json', '--repo', 'acme/plain', '--issue', '2', '--agent', 'local', '--runtime', engine.name], {
      ...env,
      [engine.hostVar]: engine.url,
    });
    expect(result.code).toBe(0);
    const argv = JSON.parse(result.stdout).run.argv as string[];
    const name = engine.name === 'docker' ? 'host.docker.internal' : 'host.containers.internal';
    expect(argv).toContain(`CODEX_OSS_BASE_URL=http://${name}:11434/v1`);
    expect(argv).toContain(`AGENTCTL_HOST_GATEWAY=${name}`);
  });

  it('--gpu without a GPU here fails with what to install, and leaves no container', async () => {
    const { env, state } = home('agents:\n  noop:\n    command: [\'true\']\n');
    const result = await runCliAsync(['dispatch', '--repo', 'acme/plain', '--issue', '3', '--agent', 'noop', '--runtime', engine.name, '--gpu', '--wait'], {
      ...env,
      [engine.hostVar]: engine.url,
    }, { timeoutMs: 90_000 });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(engine.name === 'docker' ? /Docker has no NVIDIA runtime/ : /Podman has no CDI spec for nvidia\.com\/gpu=all/);
    expect(result.stderr).toMatch(engine.name === 'docker' ? /nvidia-ctk runtime configure --runtime=docker/ : /nvidia-ctk cdi generate/);
    expect(result.stderr).not.toMatch(/engine is running/);
    const ws = join(state, 'workspace', 'acme', 'plain', 'task-3');
    const status = JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8'));
    expect(status.state).toBe('failed');
    expect(await engine.runtime.list({ 'dev.agentctl.workspace': ws })).toEqual([]);
  }, 120_000);
});

describe('the dry run picks the engine a real run would', () => {
  if (!requireEngine(podman)) return;

  it('with Docker preferred but down and Podman up, shows Podman and the fallback warning', async () => {
    const { env } = home('  prefer: docker\n');
    const result = await runCliAsync(['dispatch', '--dry-run', '--json', '--repo', 'acme/plain', '--issue', '4', '--task', 'x'], {
      ...env,
      DOCKER_HOST: DEAD.docker,
      CONTAINER_HOST: podman.url,
    });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.run.runtime).toBe('podman');
    expect(out.run.argv[0]).toBe('podman');
    expect(out.engine.runtime).toBe('podman');
    expect(out.engine.warning).toMatch(/^runtime docker is not available \(.*ENOENT.*\); using podman instead$/);
    expect(out.engine.realRunFails).toBeNull();
    expect(result.stderr).toBe(`warning: ${out.engine.warning}\n`);
  });

  it('with no engine at all, still previews, and warns on stderr and in --json that a real run would fail', async () => {
    const { env, state } = home('');
    const result = await runCliAsync(['dispatch', '--dry-run', '--json', '--repo', 'acme/plain', '--issue', '5', '--task', 'x'], {
      ...env,
      DOCKER_HOST: DEAD.docker,
      CONTAINER_HOST: DEAD.podman,
    });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.prompt).toContain('x');
    expect(existsSync(join(state, 'workspace', 'acme', 'plain', 'task-5', 'inbox', 'prompt.md'))).toBe(true);
    expect(out.engine.realRunFails).toMatchObject({ code: 'no_runtime', reason: expect.stringContaining(DEAD.docker) });
    expect(out.engine.realRunFails.reason).toContain(DEAD.podman);
    expect(result.stderr).toMatch(/^warning: a real run would fail: no container runtime is available \(tried docker at .*\) \(start Docker .*\)\n$/);
  });

  it('refuses --runtime apple on Linux with a hint, leaving nothing behind', async () => {
    const { env, state } = home('');
    for (const dryRun of [['--dry-run'], []]) {
      const result = await runCliAsync(['dispatch', ...dryRun, '--repo', 'acme/plain', '--issue', '6', '--task', 'x', '--runtime', 'apple'], { ...env, CONTAINER_HOST: podman.url });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('runtime apple (Apple container) runs only on macOS, not on linux');
      expect(result.stderr).toContain('hint: use --runtime docker, podman or auto');
    }
    // Only agentctl's own config cache: no workspace, no mirror, no job.
    expect(readdirSync(state)).toEqual(['cache']);
    expect(readdirSync(join(state, 'cache'))).toEqual(['config.json']);
  });
});
