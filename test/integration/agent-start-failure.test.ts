import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Agents that cannot start, on real engines: a CLI missing from the image,
 * a CLI that refuses root, a CLI that rejects agentctl's flags (the
 * wordings of the installed claude, codex and gemini). Each run fails with
 * its own reason and a hint, and none of them pauses the pool, however
 * many come in a row.
 */

let forge: Forge;
const engines = await testEngines();

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'web', { 'README.md': '# web\n' });
});
afterAll(() => forge.cleanup());

const ROOT_REFUSAL = '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons';

function setup(engine: { hostVar: string; url: string }): Record<string, string> {
  const home = makeTempDir('start-failure');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: f
forges:
  f:
    kind: forgejo
    url: ${forge.url}
runtime:
  image: ${TEST_IMAGE}
qa:
  enabled: false
backoff:
  threshold: 2
agents:
  nocli:
    command: [agentctl-no-such-agent-cli, '{prompt}']
    pool: broken
  asroot:
    command: [sh, -c, 'echo "${ROOT_REFUSAL}" >&2; exit 1']
    pool: broken
  clauderejects:
    command: [sh, -c, 'echo "error: unknown option ''--bogus-flag''" >&2; exit 1']
    pool: broken
  codexrejects:
    command: [sh, -c, 'printf "error: unexpected argument ''--bogus'' found\\n\\nUsage: codex exec [OPTIONS] [PROMPT]\\n" >&2; exit 2']
    pool: broken
  geminirejects:
    command: [sh, -c, 'echo "Unknown arguments: bogus-thing, bogusThing"; echo "Usage: gemini [options] [command]"; exit 1']
    pool: broken
  plainfail:
    command: [sh, -c, 'echo "tests failed"; exit 1']
    pool: plain
  gitagent:
    command: [git, status]
`,
  );
  return { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: join(home, 'state'), [engine.hostVar]: engine.url };
}

interface RunJson {
  state: string;
  reason?: string;
  hint?: string;
  startFailure?: string;
}

interface DoctorJson {
  ok: boolean;
  checks: Array<{ id: string; status: string; message: string; fix: string | null }>;
}

interface StatusJson {
  pools: Array<{ pool: string; pausedSeconds: number; fastFails: number }>;
}

describe.each(engines)('an agent that cannot start, on $name', (engine) => {
  if (!requireEngine(engine)) return;

  it.each<[string, string, RegExp, RegExp]>([
    ['a CLI missing from the image (exit 127)', 'nocli', /"agentctl-no-such-agent-cli" was not found in the image .*exit code 127/, /agentctl image build.*agents\.nocli\.image.*agentctl doctor/],
    ['a CLI refusing root', 'asroot', /refuses to run as root/, /uid 1000|ordinary user/],
    ["claude's option parser rejecting a flag", 'clauderejects', /rejected the option --bogus-flag/, /agents\.clauderejects/],
    ["codex's option parser rejecting a flag", 'codexrejects', /rejected the option --bogus/, /agents\.codexrejects/],
    ["gemini's option parser rejecting a flag", 'geminirejects', /rejected the option --bogus-thing/, /agents\.geminirejects/],
  ])('%s: the run fails with its reason and a hint', (_name, agent, reason, hint) => {
    const env = setup(engine);
    const result = runCli(['dispatch', '--repo', 'acme/web', '--branch', `try-${agent}`, '--task', 'work', '--agent', agent, '--runtime', engine.name, '--wait', '--json'], env);
    expect(result.code, result.stderr).toBe(10);
    const run = JSON.parse(result.stdout) as RunJson;
    expect(run.state).toBe('failed');
    expect(run.reason).toMatch(reason);
    expect(run.hint).toMatch(hint);
  }, 120_000);

  it('does not pause the pool after backoff.threshold start failures in a row, where ordinary fast failures do', () => {
    const env = setup(engine);
    const agents = ['nocli', 'asroot', 'clauderejects'];
    for (const agent of agents) {
      const result = runCli(['dispatch', '--repo', 'acme/web', '--branch', `row-${agent}`, '--task', 'work', '--agent', agent, '--runtime', engine.name, '--wait', '--json'], env);
      expect((JSON.parse(result.stdout) as RunJson).startFailure).toBeDefined();
      expect(result.stderr).not.toMatch(/paused/);
    }
    for (const branch of ['plain-1', 'plain-2']) {
      runCli(['dispatch', '--repo', 'acme/web', '--branch', branch, '--task', 'work', '--agent', 'plainfail', '--runtime', engine.name, '--wait', '--json'], env);
    }
    const status = JSON.parse(runCli(['status', '--json'], env).stdout) as StatusJson;
    const pool = (name: string) => status.pools.find((p) => p.pool === name);
    expect(pool('broken')).toMatchObject({ pausedSeconds: 0, fastFails: 0 });
    // The same count of ordinary fast failures does pause its pool: the backoff itself still works.
    expect(pool('plain')?.pausedSeconds).toBeGreaterThan(0);
    // Five dispatches on an engine that can be slow on a busy machine.
  }, 300_000);

  it('doctor finds a CLI missing from the image before a dispatch does, and the version of one that is there', () => {
    const env: Record<string, string> = { ...setup(engine), AGENTCTL_RUNTIME: engine.name };
    const configPath = join(env.XDG_CONFIG_HOME as string, 'agentctl', 'config.yaml');
    writeFileSync(configPath, readFileSync(configPath, 'utf8').replace('defaults:\n', 'defaults:\n  agent: nocli\n'));
    const result = runCli(['doctor', '--json'], env);
    expect(result.code, result.stderr).toBe(4);
    const checks = (JSON.parse(result.stdout) as DoctorJson).checks;
    const get = (id: string) => checks.find((c) => c.id === id);
    expect(get('cli.nocli')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/nocli \(the default agent\): agentctl-no-such-agent-cli is not in .*agentctl-test.*exit code 127/),
      fix: expect.stringMatching(/agentctl image build --runtime /),
    });
    expect(get('cli.gitagent')).toMatchObject({ status: 'ok', message: expect.stringMatching(/git git version \d+\.\d+/) });
  }, 180_000);
});
