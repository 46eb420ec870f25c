/**
 * A hostile agent on Docker Swarm (a real single-node swarm on the test
 * Docker engine): the task's bootstrap shares its user with the agent, so
 * what the agent leaves in /workspace must not stop the bootstrap from
 * hearing agentctl's stop and sending the trees back. On a node other than
 * the manager nothing else stops the task: Swarm leaves a removed job's
 * task running. A hostile image cannot forge the task's exit code: Docker
 * copies a container's labels, the image's included, over the attributes of
 * its die event, exitCode among them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const docker = (await testEngines()).find((engine) => engine.name === 'docker');

const AGENTS = {
  // Its live log becomes a fifo nobody writes: a bootstrap that opens it blocks for good, and hears no stop.
  fifo: 'echo started; sleep 3; rm -f /workspace/outbox/agent-fifo.log && mkfifo /workspace/outbox/agent-fifo.log; trap "echo heard > /workspace/outbox/heard; exit 0" TERM; while true; do sleep 1; done',
  // With the token from its secret and the courier's address from PID 1's environment, it sends trees and an
  // exit code 0 back early, then goes on running: the run must not end (and its task be let go) while it runs.
  early: [
    'echo 0 > /workspace/outbox/exit-code',
    `node -e '${[
      'const fs = require("fs"), http = require("http"), cp = require("child_process");',
      'const S = JSON.parse(fs.readFileSync("/run/secrets/agentctl-run", "utf8"));',
      'const U = new URL(fs.readFileSync("/proc/1/environ", "utf8").split("\\0").find((e) => e.startsWith("AGENTCTL_CALLBACK=")).slice(18));',
      'const put = (part) => new Promise((done) => { const r = http.request({ host: U.hostname, port: U.port, method: "PUT", path: "/out/" + part, headers: { authorization: "Bearer " + S.token } }, (m) => { m.resume(); m.on("end", done); }); r.on("error", done); cp.spawn("tar", ["-c", "-f", "-", "-C", "/workspace", part]).stdout.pipe(r); });',
      'put("outbox").then(() => put("repo")).then(() => console.log("sent early"));',
    ].join(' ')}'`,
    'sleep 8',
    'echo late > /workspace/outbox/late',
  ].join('; '),
  // It fails, in an image whose label says exitCode=0 (see LABELLED_IMAGE).
  labelled: 'echo failing; exit 3',
};
/** The test image with a label named as the die event's exit code attribute. */
const LABELLED_IMAGE = 'localhost/agentctl-test-exitcode-label:latest';

describe('a hostile agent on Docker Swarm', () => {
  if (docker === undefined || !requireEngine(docker)) return;
  let forge: Forge;
  beforeAll(() => {
    execFileSync('bash', ['test/support/engines.sh', 'swarm'], { stdio: 'ignore' });
    forge = makeForge();
    forge.createRepo('acme', 'hs', { 'README.md': '# hs\n' });
    execFileSync('docker', ['build', '-q', '-t', LABELLED_IMAGE, '-'], {
      input: `FROM ${TEST_IMAGE}\nLABEL exitCode=0\n`,
      env: { ...process.env, DOCKER_HOST: docker!.url },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  });
  afterAll(() => {
    forge.cleanup();
    execFileSync('docker', ['rmi', LABELLED_IMAGE], { env: { ...process.env, DOCKER_HOST: docker!.url }, stdio: 'ignore' });
  });

  function setup(): { env: Record<string, string>; state: string } {
    const home = makeTempDir('hostile-swarm');
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    const agents = Object.entries(AGENTS)
      .map(([name, script]) => `  ${name}:\n    command: [sh, -c, ${JSON.stringify(script)}]\n${name === 'labelled' ? `    image: ${LABELLED_IMAGE}\n` : ''}`)
      .join('');
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\n` +
        `runtime:\n  prefer: swarm\n  image: ${TEST_IMAGE}\n  swarm:\n    host: ${docker!.url}\n` +
        `timeouts:\n  grace: 2\nagents:\n${agents}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, CI: 'true' }, state };
  }

  it('an agent that turns its log into a fifo still gets the stop (its TERM trap runs) and its outbox comes back', async () => {
    const { env, state } = setup();
    const ws = join(state, 'workspace', 'acme', 'hs', 'task-1');
    expect(runCli(['dispatch', '--repo', 'acme/hs', '--issue', '1', '--agent', 'fifo'], env).code).toBe(0);
    const log = join(ws, 'outbox', 'agent-fifo.log');
    const until = Date.now() + 30_000;
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('started')) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    // The fifo is in place and the bootstrap's next log push has met it.
    await new Promise((r) => setTimeout(r, 6000));
    const cancelled = runCli(['cancel', ws, '--json'], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(JSON.parse(runCli(['status', ws, '--json'], env).stdout).runs[0]).toMatchObject({ state: 'cancelled' });
    expect(existsSync(join(ws, 'outbox', 'heard'))).toBe(true);
  }, 90_000);

  it('an agent that sends its trees and an exit code 0 back early, then runs on, does not end its run: the run ends when it does', () => {
    const { env, state } = setup();
    const ws = join(state, 'workspace', 'acme', 'hs', 'task-2');
    const started = Date.now();
    const result = runCli(['dispatch', '--repo', 'acme/hs', '--issue', '2', '--agent', 'early', '--wait', '--json'], env);
    expect(JSON.parse(result.stdout), result.stderr).toMatchObject({ state: 'completed' });
    expect(Date.now() - started).toBeGreaterThan(8000);
    expect(existsSync(join(ws, 'outbox', 'late'))).toBe(true);
    expect(readFileSync(join(ws, 'outbox', 'agent-early.log'), 'utf8')).toContain('sent early');
  }, 90_000);

  it('an image labelled exitCode=0 does not turn a failed agent (exit 3) into a completed run', () => {
    const { env } = setup();
    const result = runCli(['dispatch', '--repo', 'acme/hs', '--issue', '3', '--agent', 'labelled', '--wait', '--json'], env);
    expect(JSON.parse(result.stdout), result.stderr).toMatchObject({ state: 'failed', exitCode: 3 });
  }, 90_000);

  it('a courier that fails writes its log in the host-only state only, never through a link found in its place', () => {
    const ws = join(makeTempDir('hostile-swarm-courier'), 'task-4');
    const swarm = workspaceLayout(ws).swarm;
    mkdirSync(swarm, { recursive: true });
    const victim = join(ws, 'victim');
    writeFileSync(victim, 'untouched\n');
    symlinkSync(victim, join(swarm, 'courier-1.log'));
    // TEST-NET-1: an address no interface of this machine has, so the courier fails at once.
    const config = { workspace: ws, runCount: 1, logFile: join(ws, 'outbox', 'agent.log'), token: 't'.repeat(64), bind: '192.0.2.1', owner: { uid: 1000, gid: 1000 }, deadline: Date.now() + 60_000 };
    const courier = spawnSync(process.execPath, ['dist/swarm-courier.js'], { input: JSON.stringify(config), encoding: 'utf8', timeout: 30_000 });
    expect(courier.status).toBe(1);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
  });
});
