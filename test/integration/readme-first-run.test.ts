import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, makeTempDir } from '../support/git-fixtures.js';
import { BIN } from '../support/run-cli.js';
import { requireEngine, testEngines } from '../support/test-engines.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The README's "First run" block, one command a line, as a user pastes it. */
function firstRunBlock(): string[] {
  const section = README.split('\n## First run\n')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The quoted output the README promises for a step: the text between backticks after `prints`/`ends with`. */
function promised(phrase: string): string {
  expect(README, `the README's First run says ${phrase}`).toContain(phrase);
  return phrase;
}

// The agent image (2.4 GB, the real Containerfile) is built from the engine's layer cache only on Podman, where
// test/integration/image-build.test.ts and base-image.sh leave its layers and the local Debian base; a cold build
// on the Docker test engine (vfs) takes many minutes.
const podman = (await testEngines()).filter((engine) => engine.name === 'podman');
const BASE = 'localhost/agentctl-base:bookworm';
const TAG = `localhost/agentctl-agent:readme-${process.pid}`;
const homes: string[] = [];
afterAll(() => {
  // Only this test's tag goes: the layers stay, shared with the other agent images.
  if (podman[0]?.url) spawnSync('podman', ['--url', podman[0].url, 'rmi', TAG], { stdio: 'ignore' });
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

describe.each(podman)("the README's First run, pasted into a shell on a real $name engine", (engine) => {
  if (!requireEngine(engine)) return;

  it('each step succeeds (doctor: only the image fails, until it is built) and prints what the README says', async () => {
    const baseThere = spawnSync('podman', ['--url', engine.url, 'image', 'exists', BASE]).status === 0;
    if (!baseThere) throw new Error(`${BASE} is missing from podman; run bash test/support/base-image.sh`);
    const steps = firstRunBlock();
    expect(steps.map((line) => line.split(/[\s=]+/).slice(0, 2).join(' '))).toEqual([
      'export OPENAI_API_KEY',
      'agentctl init',
      'agentctl doctor',
      'agentctl image',
      'cd ~/src/my-project',
      'agentctl dispatch',
      'agentctl dispatch',
    ]);
    expect(steps[5]).toMatch(/ --dry-run$/);
    expect(steps[6]).toMatch(/ --wait$/);

    // A fresh user: empty HOME, config and AGENTCTL_HOME; agentctl on PATH as `npm install -g` puts it.
    const root = makeTempDir('readme-first-run');
    homes.push(root);
    const home = join(root, 'home');
    const project = join(home, 'src', 'my-project');
    mkdirSync(project, { recursive: true });
    mkdirSync(join(root, 'bin'));
    symlinkSync(BIN, join(root, 'bin', 'agentctl'));
    // "Any git checkout of yours", which here defines a scripted agent (no API key, no model) in its project config.
    writeFileSync(join(project, 'README.md'), '# my-project\n');
    writeFileSync(join(project, '.agentctl.yaml'), `agents:\n  scripted:\n    command: [sh, -c, 'echo "Hello, Ada!" >> README.md; echo "added a greeting"']\n`);
    git(project, 'init', '-q', '-b', 'main');
    git(project, 'add', '-A');
    git(project, '-c', 'user.name=t', '-c', 'user.email=t@localhost', 'commit', '-qm', 'first');

    const env: Record<string, string> = {
      PATH: `${join(root, 'bin')}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      [engine.hostVar]: engine.url,
      // What a user of this machine would set: the engine, a local base (no registry here), and the agent to run.
      AGENTCTL_RUNTIME: engine.name,
      AGENTCTL_IMAGE: TAG,
      AGENTCTL_IMAGE_BASE: BASE,
      AGENTCTL_AGENT: 'scripted',
    };
    // The machine's extra CA certificates, as a user's shell has them: image build puts them into the image (and the
    // engine's layer cache holds the image built with them).
    if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    // One shell, as a paste would be: `cd` carries over; each step's output and exit code kept apart.
    const out = join(root, 'out');
    mkdirSync(out);
    const script = steps
      .map((line, i) => (line.startsWith('cd ') || line.startsWith('export ') ? line : `${line} >${out}/${i}.out 2>${out}/${i}.err; echo $? >${out}/${i}.code`))
      .join('\n');
    execFileSync('sh', ['-c', script], { env, cwd: home, timeout: 600_000 });
    const step = (i: number) => ({
      code: Number(readFileSync(join(out, `${i}.code`), 'utf8')),
      stdout: readFileSync(join(out, `${i}.out`), 'utf8'),
      stderr: readFileSync(join(out, `${i}.err`), 'utf8'),
    });

    const init = step(1);
    expect(init.code).toBe(0);
    expect(init.stderr).toContain(promised('wrote the user config; next: '));
    expect(readFileSync(join(home, '.config', 'agentctl', 'config.yaml'), 'utf8')).toContain('defaults:');

    const doctor = step(2);
    expect(doctor.code).toBe(4);
    const failed = doctor.stdout.split('\n').filter((line) => line.startsWith('fail'));
    expect(failed).toEqual([expect.stringMatching(new RegExp(`^fail +image +${TAG} \\(AGENTCTL_IMAGE\\) is not present in podman`))]);
    expect(README).toContain('the one `fail` is the image (`… is not present in podman`)');

    const build = step(3);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toMatch(new RegExp(`built ${TAG} with podman in \\d+ s`));
    expect(README).toMatch(/ends with `built localhost\/agentctl-agent:latest with podman in N s`/);

    const dry = step(5);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(promised('Dry run: the workspace is ready; no agent was started.'));
    expect(dry.stdout).toContain('Add a greeting for Ada to the README');
    expect(dry.stdout).toContain(`podman run --detach --rm`);

    const real = step(6);
    expect(real.code, real.stderr).toBe(0);
    promised('`started codex on local/my-project (an ad-hoc task) in podman container …`');
    expect(real.stderr).toMatch(/started scripted on local\/my-project \(an ad-hoc task\) in podman container [0-9a-f]{12}/);
    promised('`completed: codex on local/my-project`');
    expect(real.stdout).toContain('completed: scripted on local/my-project');
    const workspace = /^workspace: (.+)$/m.exec(real.stdout)?.[1] as string;
    expect(workspace.startsWith(join(home, '.agentctl', 'workspace', 'local', 'my-project'))).toBe(true);
    // The agent's work is in the workspace; the user's own checkout is as it was.
    expect(readFileSync(join(workspace, 'repo', 'README.md'), 'utf8')).toBe('# my-project\nHello, Ada!\n');
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toBe('# my-project\n');
  });
});
