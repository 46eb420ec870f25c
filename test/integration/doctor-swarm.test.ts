/**
 * doctor on a real single-node swarm (`bash test/support/engines.sh swarm`):
 * it checks that the nodes really reach agentctl at the callback address
 * (a task's 127.0.0.1 is its own), and leaves nothing of its probe on the
 * engine. Every fact about the swarm is read from the engine itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const docker = (await testEngines()).find((engine) => engine.name === 'docker');

function swarmCli(args: string[]): string {
  return execFileSync('docker', ['-H', docker!.url, ...args], { encoding: 'utf8' });
}

/** What of doctor's reach probe is on the engine: services, secrets, containers, volumes. */
function probeLeftovers(): string {
  const label = 'label=dev.agentctl.role=reach-probe';
  return [
    swarmCli(['service', 'ls', '-q', '--filter', label]),
    swarmCli(['secret', 'ls', '-q', '--filter', label]),
    swarmCli(['ps', '-aq', '--filter', label]),
    swarmCli(['volume', 'ls', '-q', '--filter', label]),
  ].join('').trim();
}

interface Check {
  id: string;
  status: string;
  message: string;
  fix: string | null;
}

describe('doctor on Docker Swarm', () => {
  if (docker === undefined || !requireEngine(docker)) return;
  beforeAll(() => {
    execFileSync('bash', ['test/support/engines.sh', 'swarm'], { stdio: 'ignore' });
  });
  const hostname = () => swarmCli(['node', 'inspect', 'self', '--format', '{{.Description.Hostname}}']).trim();

  function doctorEnv(callback?: string, image = TEST_IMAGE): Record<string, string> {
    const home = makeTempDir('doctor-swarm');
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `runtime:\n  prefer: swarm\n  image: ${image}\n  swarm:\n    host: ${docker!.url}\n${callback === undefined ? '' : `    callback_address: ${callback}\n`}`,
    );
    return { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: join(home, 'state'), CI: 'true' };
  }

  function doctor(callback?: string, image = TEST_IMAGE, env = doctorEnv(callback, image)): Check[] {
    const result = runCli(['doctor', '--json'], env);
    expect(result.stdout, result.stderr).not.toBe('');
    return (JSON.parse(result.stdout) as { checks: Check[] }).checks;
  }

  it("says the node reaches agentctl at the machine's default callback address, and leaves nothing behind", () => {
    const reach = doctor().find((check) => check.id === `swarm.reach.${hostname()}`);
    expect(reach).toMatchObject({ status: 'ok', fix: null });
    expect(reach?.message).toMatch(/reaches agentctl at \d+\.\d+\.\d+\.\d+/);
    expect(probeLeftovers()).toBe('');
  });

  it('says the node cannot reach agentctl at 127.0.0.1 (the task\'s loopback is its own), with the fix, and leaves nothing behind', () => {
    const checks = doctor('127.0.0.1');
    // agentctl can listen there: that alone is not enough.
    expect(checks.find((check) => check.id === 'swarm.callback')?.status).toBe('ok');
    const reach = checks.find((check) => check.id === `swarm.reach.${hostname()}`);
    expect(reach).toMatchObject({ status: 'fail' });
    expect(reach?.message).toContain('cannot reach agentctl at 127.0.0.1: could not connect');
    expect(reach?.fix).toContain('runtime.swarm.callback_address');
    expect(probeLeftovers()).toBe('');
  });

  it('says when the probe could not run on a node (an image it lacks), not that the address is wrong, and leaves nothing behind', () => {
    const reach = doctor(undefined, 'localhost/agentctl-absent-image:latest').find((check) => check.id === `swarm.reach.${hostname()}`);
    expect(reach).toMatchObject({ status: 'warn' });
    expect(reach?.message).toMatch(/could not tell whether .* its probe task rejected: .*No such image/);
    expect(reach?.fix).toContain('make the agent image present on');
    expect(probeLeftovers()).toBe('');
  });

  it('a doctor killed while its probe runs leaves it behind only until the next doctor of the same home, which removes it', async () => {
    const env = doctorEnv();
    const killed = spawn(process.execPath, [BIN, 'doctor', '--json'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: 'ignore' });
    const exited = new Promise((resolve) => killed.once('exit', resolve));
    try {
      const until = Date.now() + 30_000;
      while (swarmCli(['service', 'ls', '-q', '--filter', 'label=dev.agentctl.role=reach-probe']).trim() === '' && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      killed.kill('SIGKILL');
      await exited;
      expect(probeLeftovers()).not.toBe('');
      const reach = doctor(undefined, TEST_IMAGE, env).find((check) => check.id === `swarm.reach.${hostname()}`);
      expect(reach).toMatchObject({ status: 'ok' });
      expect(probeLeftovers()).toBe('');
    } finally {
      killed.kill('SIGKILL');
      // What this test's homes left, whatever happened.
      const home = `label=dev.agentctl.home=${readFileSync(join(env.AGENTCTL_HOME!, 'home-id'), 'utf8').trim()}`;
      for (const [list, remove] of [[['service', 'ls', '-q'], ['service', 'rm']], [['ps', '-aq'], ['rm', '-f']], [['secret', 'ls', '-q'], ['secret', 'rm']]]) {
        const ids = swarmCli([...list!, '--filter', home]).trim().split('\n').filter(Boolean);
        if (ids.length > 0) swarmCli([...remove!, ...ids]);
      }
    }
  }, 90_000);
});
