import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFingerprint, LABEL_BASE, LABEL_CONTAINERFILE, run as build } from '../../../src/cli/commands/image-build.js';
import { run as status } from '../../../src/cli/commands/image-status.js';
import type { RuntimeName } from '../../../src/core/container/container-spec.js';
import { versionProbeScript } from '../../../src/core/image/agent-image.js';
import type { BuildRequest } from '../../../src/runtime/image-builder.js';
import { PACKAGE_ROOT } from '../../../src/package-root.js';
import { fakeDeps, type FakeDeps } from '../../fakes/fake-deps.js';
import { FakeImageBuilder } from '../../fakes/fake-image-builder.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function readContext(request: BuildRequest): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(join(request.contextDir, dir), { withFileTypes: true })) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        files[`${rel}/`] = '';
        walk(join(dir, entry.name), rel);
      } else files[rel] = readFileSync(join(request.contextDir, dir, entry.name), 'utf8');
    }
  };
  walk('', '');
  return files;
}

function setup(env: Record<string, string> = {}, engines: RuntimeName[] = ['docker', 'podman']) {
  const runtimes = engines.map((name) => new FakeRuntime(name));
  const d = fakeDeps({ runtimes: fakeRegistry(runtimes), env });
  homes.push(d.home);
  const builders = new Map<RuntimeName, FakeImageBuilder>(engines.map((name) => [name, new FakeImageBuilder(name, readContext)]));
  const seams = { builders: async (name: RuntimeName) => builders.get(name)! };
  return { d, builders, seams, runtimes };
}

const CONTAINERFILE = readFileSync(join(PACKAGE_ROOT, 'Containerfile'), 'utf8');

describe('image build', () => {
  it('sends a context of just the Containerfile and an empty extra-certs/, streams the lines to stderr, prints the tag and id', async () => {
    const { d, builders, seams } = setup();
    expect(await build({ runtime: 'podman', base: 'localhost/base:12' }, d, seams)).toBe(0);
    const [request] = builders.get('podman')!.builds;
    expect(request).toMatchObject({
      files: ['Containerfile', 'extra-certs'],
      containerfile: 'Containerfile',
      tag: 'localhost/agentctl-agent:latest',
      buildArgs: { BASE: 'localhost/base:12' },
      hostNetwork: true,
    });
    expect(request!.labels[LABEL_CONTAINERFILE]).toBe(buildFingerprint(CONTAINERFILE, 'localhost/base:12'));
    expect(request!.labels[LABEL_BASE]).toBe('localhost/base:12');
    expect(request!.contextFiles).toEqual({ Containerfile: CONTAINERFILE, 'extra-certs/': '' });
    // The temporary context is gone afterwards.
    expect(existsSync(request!.contextDir)).toBe(false);
    expect(d.io.stdout).toBe('localhost/agentctl-agent:latest abababababab\n');
    expect(d.io.stderr).toBe(
      `building localhost/agentctl-agent:latest with podman from ${join(PACKAGE_ROOT, 'Containerfile')} (base localhost/base:12)\n` +
        '  STEP 1/2: FROM base\n  STEP 2/2: RUN true\n' +
        'built localhost/agentctl-agent:latest with podman in 0 s\n',
    );
    expect(builders.get('docker')!.builds).toEqual([]);
  });

  it('--json prints one object; --tag and the CA file from NODE_EXTRA_CA_CERTS', async () => {
    const { d, builders, seams } = setup();
    const ca = join(d.home, 'proxy-ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const e = { ...d, env: { ...d.env, NODE_EXTRA_CA_CERTS: ca } };
    expect(await build({ tag: 'localhost/mine:1', json: true }, e, seams)).toBe(0);
    expect(JSON.parse(d.io.stdout)).toEqual({
      image: 'localhost/mine:1',
      id: `sha256:${'ab'.repeat(32)}`,
      runtime: 'docker',
      base: 'debian:bookworm-slim',
      containerfile: join(PACKAGE_ROOT, 'Containerfile'),
      seconds: 0,
    });
    const [request] = builders.get('docker')!.builds;
    expect(request!.buildArgs).toEqual({});
    expect(request!.contextFiles['extra-certs/agentctl-extra.crt']).toContain('BEGIN CERTIFICATE');
    expect(d.io.stderr).toContain(`trusting the extra CA certificates in ${ca} (NODE_EXTRA_CA_CERTS)\n`);
  });

  it('AGENTCTL_IMAGE_BASE is the base where no registry is reachable; --base still wins', async () => {
    const { d, builders, seams } = setup({ AGENTCTL_IMAGE_BASE: 'localhost/agentctl-base:bookworm' });
    expect(await build({ runtime: 'podman' }, d, seams)).toBe(0);
    expect(await build({ runtime: 'podman', base: 'localhost/other:12' }, d, seams)).toBe(0);
    const [fromEnv, fromFlag] = builders.get('podman')!.builds;
    expect(fromEnv!.buildArgs).toEqual({ BASE: 'localhost/agentctl-base:bookworm' });
    expect(fromEnv!.labels[LABEL_BASE]).toBe('localhost/agentctl-base:bookworm');
    expect(fromFlag!.buildArgs).toEqual({ BASE: 'localhost/other:12' });
  });

  it('a failed build is an error and leaves no context behind', async () => {
    const { d, builders, seams } = setup();
    const builder = builders.get('docker')!;
    builder.buildError = new Error('step 9 failed');
    await expect(build({}, d, seams)).rejects.toThrow('step 9 failed');
    expect(existsSync(builder.builds[0]!.contextDir)).toBe(false);
  });

  it('refuses an unknown --runtime and an unreadable --ca-file (exit 2)', async () => {
    const { d, seams } = setup();
    await expect(build({ runtime: 'lxc' }, d, seams)).rejects.toMatchObject({ code: 'invalid_option', exitCode: 2 });
    await expect(build({ caFile: join(d.home, 'nope.pem') }, d, seams)).rejects.toMatchObject({ code: 'ca_file_unreadable', exitCode: 2 });
  });

  it('no engine: no_runtime (exit 4)', async () => {
    const { d, seams, runtimes } = setup();
    for (const runtime of runtimes) runtime.availability = { ...runtime.availability, ok: false, detail: 'down' };
    await expect(build({}, d, seams)).rejects.toMatchObject({ code: 'no_runtime', exitCode: 4 });
  });
});

describe('image status', () => {
  const VERSIONS = '@@agentctl-version claude 2.1.197 (Claude Code)\n@@agentctl-version codex codex-cli 0.169.0\n@@agentctl-version gemini \n';

  it('present: id, and each CLI version or "not installed", from a throwaway run of the version probe', async () => {
    const { d, builders, seams } = setup({ AGENTCTL_IMAGE: 'localhost/x:1' });
    const builder = builders.get('docker')!;
    builder.images.set('localhost/x:1', { id: `sha256:${'cd'.repeat(32)}`, digest: undefined, created: '2026-11-20T08:00:00Z', size: 5, labels: {} });
    builder.runResult = { exitCode: 0, output: VERSIONS };
    expect(await status({}, d, seams)).toBe(0);
    expect(builder.runs).toEqual([{ image: 'localhost/x:1', argv: ['sh', '-c', versionProbeScript()] }]);
    expect(d.io.stdout).toBe(
      'image    localhost/x:1 (AGENTCTL_IMAGE)\nruntime  docker\npresent  yes\nid       cdcdcdcdcdcd\ncreated  2026-11-20T08:00:00Z\n' +
        'claude   2.1.197 (Claude Code)\ncodex    codex-cli 0.169.0\ngemini   not installed\n',
    );
    expect(d.io.stderr).toBe('');
  });

  it('--json: a stable shape; a probe that cannot run is tolerated', async () => {
    const { d, builders, seams } = setup();
    const builder = builders.get('podman')!;
    builder.images.set('localhost/agentctl-agent:latest', { id: 'sha256:ef', digest: 'sha256:0123', created: undefined, size: 5, labels: { a: 'b' } });
    builder.runResult = new Error('exec: "sh": executable file not found');
    expect(await status({ runtime: 'podman', json: true }, d, seams)).toBe(0);
    expect(JSON.parse(d.io.stdout)).toEqual({
      image: 'localhost/agentctl-agent:latest',
      source: 'the default agent image',
      runtime: 'podman',
      present: true,
      id: 'sha256:ef',
      digest: 'sha256:0123',
      created: null,
      labels: { a: 'b' },
      versions: { claude: null, codex: null, gemini: null },
      versionsError: 'exec: "sh": executable file not found',
    });
  });

  it('missing: says so, hints the build, exit 4', async () => {
    const { d, seams } = setup();
    d.writeUserConfig('runtime:\n  image: localhost/team:2\n');
    expect(await status({}, d, seams)).toBe(4);
    expect(d.io.stdout).toBe('image    localhost/team:2 (runtime.image)\nruntime  docker\npresent  no\n');
    expect(d.io.stderr).toBe('hint: build it with "agentctl image build --runtime docker", or set runtime.image / AGENTCTL_IMAGE to an image you have\n');
    d.io.stdout = '';
    expect(await status({ json: true }, d, seams)).toBe(4);
    expect(JSON.parse(d.io.stdout)).toMatchObject({ present: false, id: null, versions: { claude: null, codex: null, gemini: null } });
  });
});
