import { execFile, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFingerprint, LABEL_CONTAINERFILE } from '../../src/cli/commands/image-build.js';
import { PACKAGE_ROOT } from '../../src/package-root.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, testEngines } from '../support/test-engines.js';

/**
 * The real agent image, built by `agentctl image build` with Podman from a
 * Debian base made locally (test/support/base-image.sh), then checked from
 * the inside. The build takes minutes (apt, then npm installs of three CLIs),
 * so an image that already carries this Containerfile's fingerprint for this
 * base is reused; set AGENTCTL_TEST_REBUILD_IMAGE=1 to force a build.
 */
const BASE = process.env.AGENTCTL_TEST_BASE_IMAGE ?? 'localhost/agentctl-base:bookworm';
const TAG = 'localhost/agentctl-agent:test';
const BUILD_TIMEOUT_MS = 40 * 60_000;
const PINNED = { claude: '2.1.197', codex: '0.169.0', gemini: '0.61.0' };

const run = promisify(execFile);
const engines = await testEngines();
const podman = engines.find((engine) => engine.name === 'podman')!;

describe('agentctl image build on a real podman engine', () => {
  if (!requireEngine(podman)) return;
  const engine = podman;
  let home: string;
  let env: Record<string, string>;
  let built: { code: number; stdout: string; stderr: string; seconds: number } | undefined;

  const podmanCli = (...args: string[]) => run('podman', ['--url', engine.url, ...args], { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 });

  beforeAll(async () => {
    home = makeTempDir('image-build');
    env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      AGENTCTL_HOME: join(home, 'state'),
      CONTAINER_HOST: engine.url,
      AGENTCTL_IMAGE: TAG,
      // A TLS-intercepting proxy's CA, where the machine has one: the build trusts it too.
      ...(process.env.NODE_EXTRA_CA_CERTS === undefined ? {} : { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
    };
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it(`has the base image ${BASE} (bash test/support/base-image.sh)`, async () => {
    const present = await engine.runtime.hasImage(BASE);
    if (!present && process.env.CI !== 'true') {
      console.warn(`skipping: ${BASE} is missing; run: bash test/support/base-image.sh`);
      return;
    }
    expect(present, `${BASE} is missing from podman; run: bash test/support/base-image.sh`).toBe(true);
  });

  it(
    'builds the image (or finds it current) with progress on stderr and one JSON object on stdout',
    async () => {
      if (!(await engine.runtime.hasImage(BASE))) return;
      const fingerprint = buildFingerprint(readFileSync(join(PACKAGE_ROOT, 'Containerfile'), 'utf8'), BASE);
      const label = await podmanCli('image', 'inspect', '--format', `{{index .Config.Labels "${LABEL_CONTAINERFILE}"}}`, TAG)
        .then((r) => r.stdout.trim())
        .catch(() => '');
      if (label === fingerprint && process.env.AGENTCTL_TEST_REBUILD_IMAGE !== '1') {
        console.warn(`${TAG} is current (${fingerprint.slice(0, 12)}): not rebuilt`);
        return;
      }
      const log = join(home, 'build.log');
      const started = Date.now();
      const result = await new Promise<{ code: number; stdout: string; stderr: string; seconds: number }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'image', 'build', '--runtime', 'podman', '--base', BASE, '--tag', TAG, '--json'], {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        const file = createWriteStream(log);
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          file.write(chunk);
        });
        const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS - 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          file.end();
          resolve({ code: code ?? -1, stdout, stderr, seconds: Math.round((Date.now() - started) / 1000) });
        });
      });
      built = result;
      console.warn(`image build took ${result.seconds} s (log: ${log})`);
      expect(result.code, result.stderr.slice(-4000)).toBe(0);
      const out = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(out).toMatchObject({ image: TAG, runtime: 'podman', base: BASE, containerfile: join(PACKAGE_ROOT, 'Containerfile') });
      expect(out.id).toMatch(/^(sha256:)?[0-9a-f]{12,64}$/);
      expect(typeof out.seconds).toBe('number');
      // Progress: the engine's step lines, streamed to stderr.
      expect(result.stderr).toMatch(/^building localhost\/agentctl-agent:test with podman from .*Containerfile \(base localhost\/agentctl-base:bookworm\)$/m);
      expect(result.stderr).toMatch(/^ {2}STEP \d+\/\d+: FROM localhost\/agentctl-base:bookworm$/m);
      // Whole lines, even where the engine splits one across messages.
      expect(result.stderr).toMatch(/^ {2}STEP \d+\/\d+: RUN set -eux;\s+npm install -g --no-audit --no-fund\s+"@anthropic-ai\/claude-code@\$\{CLAUDE_CODE_VERSION\}"\s+"@openai\/codex@/m);
      expect(result.stderr).toMatch(/^ {2}Successfully tagged localhost\/agentctl-agent:test$/m);
      const labelAfter = (await podmanCli('image', 'inspect', '--format', `{{index .Config.Labels "${LABEL_CONTAINERFILE}"}}`, TAG)).stdout.trim();
      expect(labelAfter).toBe(fingerprint);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'image status: present, with its id and the pinned CLI versions inside',
    async () => {
      if (!(await engine.runtime.hasImage(BASE))) return;
      const result = runCli(['image', 'status', '--runtime', 'podman', '--json'], env);
      expect(result.code, result.stderr).toBe(0);
      const status = JSON.parse(result.stdout) as Record<string, any>;
      expect(status).toMatchObject({ image: TAG, source: 'AGENTCTL_IMAGE', runtime: 'podman', present: true, versionsError: null });
      expect(status.id).toMatch(/^(sha256:)?[0-9a-f]{64}$/);
      expect(status.versions.claude).toContain(PINNED.claude);
      expect(status.versions.codex).toContain(PINNED.codex);
      expect(status.versions.gemini).toContain(PINNED.gemini);
      expect(status.labels).toMatchObject({ 'dev.agentctl.claude-code': PINNED.claude, 'dev.agentctl.codex': PINNED.codex, 'dev.agentctl.gemini-cli': PINNED.gemini });

      const text = runCli(['image', 'status', '--runtime', 'podman'], env);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`^claude +${PINNED.claude.replace(/\./g, '\\.')}`, 'm'));
    },
    300_000,
  );

  it(
    'inside: the default user is agent (uid 1000, not root), owns /workspace, and the toolchains answer',
    async () => {
      if (!(await engine.runtime.hasImage(BASE))) return;
      const script = [
        'id -u',
        'id -un',
        'echo "home=$HOME"',
        'pwd',
        'stat -c "%U:%G" /workspace /workspace/repo',
        'node --version',
        'npm --version',
        'go version',
        'php --version | head -n 1',
        'composer --version 2>/dev/null | head -n 1',
        'python3 --version',
        'rg --version | head -n 1',
        'git --version',
        'cc --version | head -n 1',
        'claude --version',
        'codex --version',
        'gemini --version',
        'touch /workspace/repo/probe && echo writable',
      ].join('; ');
      const { stdout } = await podmanCli('run', '--rm', '--network=none', TAG, 'sh', '-c', script);
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe('1000');
      expect(lines[0]).not.toBe('0');
      expect(lines[1]).toBe('agent');
      expect(lines[2]).toBe('home=/home/agent');
      expect(lines[3]).toBe('/workspace/repo');
      expect(lines.slice(4, 6)).toEqual(['agent:agent', 'agent:agent']);
      expect(lines[6]).toMatch(/^v24\./);
      expect(stdout).toMatch(/^go version go1\.\d+/m);
      expect(stdout).toMatch(/^PHP 8\./m);
      expect(stdout).toMatch(/^Composer (version )?2\./m);
      expect(stdout).toMatch(/^Python 3\./m);
      expect(stdout).toMatch(/^ripgrep \d/m);
      expect(stdout).toMatch(/^git version 2\./m);
      expect(stdout).toMatch(/^cc \(Debian/m);
      expect(stdout).toContain(PINNED.claude);
      expect(stdout).toContain(`codex-cli ${PINNED.codex}`);
      expect(stdout).toMatch(new RegExp(`^${PINNED.gemini.replace(/\./g, '\\.')}$`, 'm'));
      expect(lines.at(-1)).toBe('writable');
      // No secrets baked in: nothing that looks like an API key in the environment.
      const { stdout: envOut } = await podmanCli('run', '--rm', '--network=none', TAG, 'env');
      expect(envOut).not.toMatch(/API_KEY|TOKEN=/);
    },
    300_000,
  );

  it('doctor with this image: the image check passes', async () => {
    if (!(await engine.runtime.hasImage(BASE))) return;
    const result = runCli(['doctor', '--json'], { ...env, AGENTCTL_RUNTIME: 'podman' });
    const out = JSON.parse(result.stdout) as { checks: Array<{ id: string; status: string; message: string }> };
    expect(out.checks.find((c) => c.id === 'image')).toMatchObject({ status: 'ok', message: `${TAG} (AGENTCTL_IMAGE) is present in podman` });
  });
});
