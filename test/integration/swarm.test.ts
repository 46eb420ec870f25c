/**
 * Docker Swarm as the engine: a real single-node swarm on the test Docker
 * engine (`bash test/support/engines.sh swarm`). Each dispatch is a
 * replicated job; nothing of this machine is mounted, the workspace goes to
 * the task and back through the run's courier, and every fact asserted about
 * the swarm is read from the engine itself, not from agentctl's state.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const docker = (await testEngines()).find((engine) => engine.name === 'docker');
/** A host directory the planted links name: it must stay as it is. */
const VICTIM = `/tmp/agentctl-swarm-victim-${process.pid}`;

const AGENTS = {
  // A commit of its own, and a file left uncommitted; its key is seen by name only.
  done: "echo work > result.txt && git add result.txt && git commit -qm 'agent work' && echo loose > loose.txt && echo key=${SWARM_TEST_KEY:-unset} && echo finished",
  blocked: "printf 'Which colour?\\n' > BLOCKED.md",
  broken: 'echo about to fail; exit 3',
  hang: 'echo waiting; sleep 300',
  nap: 'echo napping; sleep 6',
  slow: "sleep 5 && echo late > late.txt && git add late.txt && git commit -qm 'late work'",
  // Links where the host reads (the question, the review) and into a host directory, each named by its host path.
  planter: `ln -s ${VICTIM}/secret BLOCKED.md && ln -s ${VICTIM} escape && ln -s ${VICTIM}/secret ../outbox/review.md && echo planted`,
};

function swarmCli(args: string[]): string {
  return execFileSync('docker', ['-H', docker!.url, ...args], { encoding: 'utf8' });
}

/** The manager's own view: services and running tasks of a workspace (or of every agentctl run). */
function servicesOf(workspace?: string): string[] {
  const filter = workspace === undefined ? 'dev.agentctl.run' : `dev.agentctl.workspace=${workspace}`;
  return swarmCli(['service', 'ls', '-q', '--filter', `label=${filter}`]).split('\n').filter(Boolean);
}

describe('Docker Swarm as the engine', () => {
  if (docker === undefined || !requireEngine(docker)) return;
  let forge: Forge;
  beforeAll(() => {
    execFileSync('bash', ['test/support/engines.sh', 'swarm'], { stdio: 'ignore' });
    forge = makeForge();
    forge.createRepo('acme', 'wide', { 'README.md': '# wide\n' });
  });
  afterAll(() => {
    forge.cleanup();
    rmSync(VICTIM, { recursive: true, force: true });
  });

  function setup(extra = '', manager = `host: ${docker!.url}`): { env: Record<string, string>; state: string } {
    const home = makeTempDir('swarm');
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    const agents = Object.entries(AGENTS)
      .map(([name, script]) => `  ${name}:\n    command: [sh, -c, ${JSON.stringify(script)}]\n    env: [SWARM_TEST_KEY]\n`)
      .join('');
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\n` +
        `runtime:\n  prefer: swarm\n  image: ${TEST_IMAGE}\n  swarm:\n    ${manager}\n` +
        `timeouts:\n  grace: 1\nagents:\n${agents}${extra}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, CI: 'true', SWARM_TEST_KEY: 'sk-swarm-secret-value' }, state };
  }

  const wsOf = (state: string, issue: string) => join(state, 'workspace', 'acme', 'wide', `task-${issue}`);

  function dispatchWait(env: Record<string, string>, agent: string, issue: string, extra: string[] = []) {
    const result = runCli(['dispatch', '--repo', 'acme/wide', '--issue', issue, '--agent', agent, '--wait', '--json', ...extra], env);
    return { ...result, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }

  it('runs an agent as a swarm job to completed: its commit, its loose file and its log come back, its key by name only', () => {
    const { env, state } = setup();
    const result = dispatchWait(env, 'done', '1');
    expect(result.status?.state, result.stderr).toBe('completed');
    expect(result.status?.runtime).toBe('swarm');
    const ws = wsOf(state, '1');
    expect(readFileSync(join(ws, 'repo', 'result.txt'), 'utf8')).toBe('work\n');
    const hostGit = workspaceLayout(ws).hostGit;
    expect(git(hostGit, '--git-dir', hostGit, 'log', '--format=%s', 'refs/agentctl/collected')).toContain('agent work');
    expect(git(hostGit, '--git-dir', hostGit, 'ls-tree', '-r', '--name-only', 'refs/agentctl/collected')).toContain('loose.txt');
    const log = readFileSync(join(ws, 'outbox', 'agent-done.log'), 'utf8');
    expect(log).toContain('finished');
    // The key reached the agent (through the secret)...
    expect(log).toContain('key=sk-swarm-secret-value');
    // ...and the service and secret are gone with the run.
    expect(servicesOf(ws)).toEqual([]);
    expect(swarmCli(['secret', 'ls', '-q', '--filter', `label=dev.agentctl.workspace=${ws}`]).trim()).toBe('');
    // Nor the task's container or scratch volumes on the node (Swarm 20.10 leaves a removed job's).
    expect(swarmCli(['ps', '-aq', '--filter', `label=dev.agentctl.workspace=${ws}`]).trim()).toBe('');
    expect(swarmCli(['volume', 'ls', '-q', '--filter', `label=dev.agentctl.workspace=${ws}`]).trim()).toBe('');
  });

  it('a question ends the run blocked, a non-zero exit ends it failed with the task exit code', () => {
    const { env } = setup();
    const blocked = dispatchWait(env, 'blocked', '2');
    expect(blocked.status, blocked.stderr).toMatchObject({ state: 'blocked' });
    expect(JSON.stringify(blocked.status)).toContain('Which colour?');
    const failed = dispatchWait(env, 'broken', '3');
    expect(failed.status, failed.stderr).toMatchObject({ state: 'failed' });
    expect(failed.status?.reason).toContain('code 3');
  });

  it('the service spec mounts nothing of this machine and shows no key; the log is live; cancel removes the service and its secret', async () => {
    const { env, state } = setup();
    expect(runCli(['dispatch', '--repo', 'acme/wide', '--issue', '4', '--agent', 'hang'], env).code).toBe(0);
    const ws = wsOf(state, '4');
    try {
      const [id] = servicesOf(ws);
      expect(id).toBeDefined();
      const spec = JSON.parse(swarmCli(['service', 'inspect', id!]))[0].Spec as {
        Mode: Record<string, unknown>;
        TaskTemplate: { RestartPolicy: { Condition: string }; ContainerSpec: { Mounts?: Array<{ Type: string; Source?: string }>; Env?: string[]; ReadOnly: boolean; Labels: Record<string, string> } };
        Labels: Record<string, string>;
      };
      expect(Object.keys(spec.Mode)).toEqual(['ReplicatedJob']);
      expect(spec.TaskTemplate.RestartPolicy.Condition).toBe('none');
      expect(spec.TaskTemplate.ContainerSpec.ReadOnly).toBe(true);
      expect((spec.TaskTemplate.ContainerSpec.Mounts ?? []).filter((mount) => mount.Type === 'bind' || (mount.Source ?? '').startsWith('/'))).toEqual([]);
      expect(spec.Labels['dev.agentctl.workspace']).toBe(ws);
      expect(spec.TaskTemplate.ContainerSpec.Labels['dev.agentctl.workspace']).toBe(ws);
      expect(JSON.stringify(spec)).not.toContain('sk-swarm-secret-value');
      // The log is live while the agent runs: its line reaches this machine's outbox through the courier.
      const log = join(ws, 'outbox', 'agent-hang.log');
      const until = Date.now() + 20_000;
      while (!(existsSync(log) && readFileSync(log, 'utf8').includes('waiting')) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      expect(readFileSync(log, 'utf8')).toContain('waiting');
    } finally {
      const cancelled = runCli(['cancel', ws, '--json'], env);
      expect(cancelled.code, cancelled.stderr).toBe(0);
    }
    expect(JSON.parse(runCli(['status', ws, '--json'], env).stdout).runs[0]).toMatchObject({ state: 'cancelled' });
    expect(servicesOf(ws)).toEqual([]);
    expect(swarmCli(['secret', 'ls', '-q', '--filter', `label=dev.agentctl.workspace=${ws}`]).trim()).toBe('');
    // The cancelled task really stopped: Swarm does not stop a removed job's task by itself.
    expect(swarmCli(['ps', '-aq', '--filter', `label=dev.agentctl.workspace=${ws}`]).trim()).toBe('');
  });

  it('stops an agent that prints nothing for --idle-timeout, from the live log the courier keeps', () => {
    const { env, state } = setup();
    const result = dispatchWait(env, 'hang', '10', ['--idle-timeout', '3']);
    expect(result.status, result.stderr).toMatchObject({ state: 'failed', reason: 'idle' });
    expect(servicesOf(wsOf(state, '10'))).toEqual([]);
    expect(swarmCli(['ps', '-aq', '--filter', `label=dev.agentctl.workspace=${wsOf(state, '10')}`]).trim()).toBe('');
  });

  it('kill -9 of agentctl mid-run, then status: the run is found by its labels and finishes with its work', async () => {
    const { env, state } = setup();
    const ws = wsOf(state, '5');
    const child = spawn(process.execPath, [BIN, 'dispatch', '--repo', 'acme/wide', '--issue', '5', '--agent', 'slow', '--wait'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    while (servicesOf(ws).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    let run: Record<string, any> = {};
    while (Date.now() < deadline + 40_000) {
      run = JSON.parse(runCli(['status', ws, '--json'], env).stdout).runs[0];
      if (run.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(run.state, JSON.stringify(run)).toBe('completed');
    const hostGit = workspaceLayout(ws).hostGit;
    expect(git(hostGit, '--git-dir', hostGit, 'log', '--format=%s', 'refs/agentctl/collected')).toContain('late work');
    expect(servicesOf(ws)).toEqual([]);
  }, 120_000);

  it('a task killed on its node ends failed with the reason, and the service goes', async () => {
    const { env, state } = setup();
    const ws = wsOf(state, '6');
    const child = spawn(process.execPath, [BIN, 'dispatch', '--repo', 'acme/wide', '--issue', '6', '--agent', 'hang', '--wait', '--json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const ended = new Promise((resolve) => child.on('exit', resolve));
    // The node's engine kills the task's container (as an OOM kill or a crash of the node's runtime would).
    const deadline = Date.now() + 30_000;
    let container = '';
    while (container === '' && Date.now() < deadline) {
      const [id] = servicesOf(ws);
      if (id !== undefined) container = swarmCli(['ps', '-q', '--filter', `label=com.docker.swarm.service.id`, '--filter', `label=dev.agentctl.workspace=${ws}`]).trim();
      if (container === '') await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1500));
    swarmCli(['kill', container]);
    await ended;
    const status = JSON.parse(out) as Record<string, any>;
    expect(status).toMatchObject({ state: 'failed' });
    expect(status.reason).toMatch(/code 137/);
    expect(servicesOf(ws)).toEqual([]);
  }, 90_000);

  it('a placement no node meets leaves the task pending: the run\'s timeout ends it failed, never running for ever', () => {
    const { env } = setup('  placed:\n    command: [sh, -c, "echo placed"]\n    swarm:\n      constraints: ["node.labels.agentctl-test-absent==yes"]\n');
    const result = dispatchWait(env, 'placed', '7', ['--timeout', '4']);
    // Pending for ever on every node: the run's timeout ends it, honestly failed.
    expect(result.status, result.stderr).toMatchObject({ state: 'failed', stopReason: 'timeout' });
    expect(result.status?.warnings ?? []).toEqual([]);
    expect(swarmCli(['secret', 'ls', '-q', '--filter', `label=dev.agentctl.workspace=${result.status?.workspace}`]).trim()).toBe('');
  });

  it('a pool limit of 2 holds across the swarm: 6 dispatches never have 3 tasks running (sampled from the engine)', async () => {
    const { env, state } = setup('pools:\n  nap:\n    limit: 2\n');
    for (let issue = 20; issue < 26; issue += 1) {
      const queued = runCli(['dispatch', '--repo', 'acme/wide', '--issue', String(issue), '--agent', 'nap'], env);
      expect(queued.code, queued.stderr).toBe(0);
    }
    let most = 0;
    const until = Date.now() + 150_000;
    for (;;) {
      // Each job's task as the manager reports it: its current state says whether it runs.
      const running = servicesOf().filter((id) => swarmCli(['service', 'ps', id, '--format', '{{.CurrentState}}']).startsWith('Running'));
      most = Math.max(most, running.length);
      const runs = [20, 21, 22, 23, 24, 25].map((issue) => JSON.parse(runCli(['status', wsOf(state, String(issue)), '--json'], env).stdout).runs[0]?.state);
      if (runs.every((s) => s === 'completed') || Date.now() > until) {
        expect(runs).toEqual(Array(6).fill('completed'));
        break;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
  }, 200_000);

  it('brings no link back from the task: the planted ones are left out, the host file is untouched, the run ends honestly', () => {
    mkdirSync(VICTIM, { recursive: true });
    writeFileSync(join(VICTIM, 'secret'), 'host secret\n');
    const { env, state } = setup();
    const result = dispatchWait(env, 'planter', '9');
    expect(result.status, result.stderr).toMatchObject({ state: 'completed' });
    expect(result.status?.warnings.join('\n')).toMatch(/entries of repo\/ were not brought back/);
    expect(JSON.stringify(result.status)).not.toContain('host secret');
    const ws = wsOf(state, '9');
    const links = (readdirSync(ws, { recursive: true }) as string[]).filter((name) => lstatSync(join(ws, name)).isSymbolicLink());
    expect(links).toEqual([]);
    expect(readFileSync(join(VICTIM, 'secret'), 'utf8')).toBe('host secret\n');
  });

  it('reaches the manager over SSH (host key checked) and runs the job there to completed', async () => {
    if (!existsSync('/usr/sbin/sshd')) {
      if (process.env.CI === 'true') expect.fail('run `bash test/support/sshd.sh install`');
      return;
    }
    const sshDir = makeTempDir('swarm-sshd');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    execFileSync('bash', ['test/support/sshd.sh', 'start', sshDir, String(port)], { env: { ...process.env, AGENTCTL_SSH_DOCKER_SOCK: docker!.url.replace(/^unix:\/\//, '') } });
    try {
      const { env } = setup('', `host: ssh://root@127.0.0.1:${port}`);
      const config = join(env.XDG_CONFIG_HOME!, 'agentctl', 'config.yaml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('  swarm:\n', `  ssh:\n    identity: ${join(sshDir, 'id')}\n    known_hosts: ${join(sshDir, 'known_hosts')}\n  swarm:\n`));
      const result = dispatchWait(env, 'done', '11');
      expect(result.status?.state, result.stderr).toBe('completed');
      expect(readFileSync(join(result.status?.workspace, 'outbox', 'agent-done.log'), 'utf8')).toContain('finished');
    } finally {
      execFileSync('bash', ['test/support/sshd.sh', 'stop', sshDir]);
      rmSync(sshDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('nothing of a run is left on the manager or in the workspace state once it is done', () => {
    const { env, state } = setup();
    const result = dispatchWait(env, 'done', '8');
    expect(result.status?.state, result.stderr).toBe('completed');
    const swarmDir = workspaceLayout(wsOf(state, '8')).swarm;
    const left = existsSync(swarmDir) ? (execFileSync('ls', [swarmDir], { encoding: 'utf8' }).split('\n').filter((name) => name.endsWith('.json'))) : [];
    expect(left).toEqual([]);
  });

  /** The courier processes of this checkout's build. */
  function couriers(): number[] {
    const script = join(dirname(dirname(BIN)), 'dist', 'swarm-courier.js');
    return execFileSync('pgrep', ['-f', script], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  }

  it('a courier started ahead of the run is gone with agentctl when no run takes it (a manager that does not answer)', async () => {
    const before = new Set(safely(couriers));
    const { env } = setup('', 'host: unix:///tmp/agentctl-no-such-manager.sock');
    const result = runCli(['dispatch', '--repo', 'acme/wide', '--issue', '9', '--agent', 'done', '--wait'], env);
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toContain('agentctl-no-such-manager.sock');
    // The spare reads the end of its stdin once agentctl is gone, and exits.
    for (let i = 0; i < 50 && safely(couriers).some((pid) => !before.has(pid)); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(safely(couriers).filter((pid) => !before.has(pid))).toEqual([]);
  });

  it('a courier that cannot listen fails the start, and says why in the run\'s courier log', () => {
    // TEST-NET-1: an address no interface of this machine has.
    const { env, state } = setup('', `host: ${docker!.url}\n    callback_address: 192.0.2.1`);
    const result = dispatchWait(env, 'done', '10');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('could not start the transfer server for the swarm on 192.0.2.1');
    const log = join(workspaceLayout(wsOf(state, '10')).swarm, 'courier-1.log');
    expect(result.stderr).toContain(log);
    expect(readFileSync(log, 'utf8')).toMatch(/EADDRNOTAVAIL/);
    expect(servicesOf(wsOf(state, '10'))).toEqual([]);
  });
});

/** pgrep exits 1 when nothing matches. */
function safely(list: () => number[]): number[] {
  try {
    return list();
  } catch {
    return [];
  }
}
