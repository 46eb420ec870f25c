/**
 * A remote engine over SSH: a real OpenSSH server on 127.0.0.1 (keys and
 * known_hosts made here) in front of each test engine (Docker, and Podman
 * through its Docker-compatible socket). agentctl must
 * treat it as another machine: nothing of this one is bind-mounted, the
 * workspace goes in and the results come back as archives, and runs end
 * as they do on a local engine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceLayout } from '../../src/core/workspace/layout.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const SSHD = 'test/support/sshd.sh';
const engines = await testEngines();
const haveSshd = existsSync('/usr/sbin/sshd');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A host directory the planted links name: it must stay as it is. */
const VICTIM = `/tmp/agentctl-remote-victim-${process.pid}`;

const AGENTS = {
  // A commit of its own, and a file left uncommitted.
  done: "echo work > result.txt && git add result.txt && git commit -qm 'agent work' && echo loose > loose.txt && echo finished",
  blocked: "printf 'Which colour?\\n' > BLOCKED.md",
  broken: 'echo about to fail; exit 3',
  hang: 'echo waiting; sleep 300',
  // Links where the host reads (the question, the review) and into a host directory, each named by its host path.
  planter: `ln -s ${VICTIM}/secret BLOCKED.md && ln -s ${VICTIM} escape && ln -s ${VICTIM}/secret ../outbox/review.md && mkdir -p d && ln -s / d/root && echo planted`,
  flood: 'head -c 20000000 /dev/zero | tr "\\0" "x" | fold -w 1000; echo; echo flood-done',
  slow: "sleep 4 && echo late > late.txt && git add late.txt && git commit -qm 'late work'",
};

describe.each(engines)('a $name engine over SSH', (engine) => {
  if (!requireEngine(engine)) return;
  let forge: Forge;
  let sshDir: string;
  let url: string;
  if (!haveSshd) {
    if (process.env.CI === 'true') it('needs /usr/sbin/sshd', () => expect.fail('run `bash test/support/sshd.sh install`'));
    else it.skip('no /usr/sbin/sshd: run `bash test/support/sshd.sh install`', () => undefined);
    return;
  }

  beforeAll(async () => {
    forge = makeForge();
    forge.createRepo('acme', 'far', { 'README.md': '# far\n' });
    sshDir = makeTempDir('sshd');
    const port = await freePort();
    execFileSync('bash', [SSHD, 'start', sshDir, String(port)], { encoding: 'utf8', env: { ...process.env, AGENTCTL_SSH_DOCKER_SOCK: engine.url.replace(/^unix:\/\//, '') } });
    url = `ssh://root@127.0.0.1:${port}`;
  });
  afterAll(() => {
    execFileSync('bash', [SSHD, 'stop', sshDir]);
    rmSync(VICTIM, { recursive: true, force: true });
    forge.cleanup();
  });

  function setup(knownHosts = join(sshDir, 'known_hosts'), extra = '', identity: string | undefined = join(sshDir, 'id')): { env: Record<string, string>; state: string } {
    const home = makeTempDir('remote-ssh');
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    const agents = Object.entries(AGENTS)
      .map(([name, script]) => `  ${name}:\n    command: [sh, -c, ${JSON.stringify(script)}]\n`)
      .join('');
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\n` +
        `runtime:\n  image: ${TEST_IMAGE}\n  ssh:\n${identity === undefined ? '' : `    identity: ${identity}\n`}    known_hosts: ${knownHosts}\n` +
        `timeouts:\n  grace: 1\nagents:\n${agents}${extra}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: url, CI: 'true' }, state };
  }

  const wsOf = (state: string, issue: string) => join(state, 'workspace', 'acme', 'far', `task-${issue}`);

  function dispatchWait(env: Record<string, string>, agent: string, issue: string, extra: string[] = []) {
    const result = runCli(['dispatch', '--repo', 'acme/far', '--issue', issue, '--agent', agent, '--runtime', engine.name, '--wait', '--json', ...extra], env);
    return { ...result, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }


  it('runs an agent to completed, and its commit and its uncommitted file come back', () => {
    const { env, state } = setup();
    const result = dispatchWait(env, 'done', '1');
    expect(result.status?.state, result.stderr).toBe('completed');
    const ws = wsOf(state, '1');
    expect(readFileSync(join(ws, 'repo', 'result.txt'), 'utf8')).toBe('work\n');
    const hostGit = workspaceLayout(ws).hostGit;
    const log = git(hostGit, '--git-dir', hostGit, 'log', '--format=%s', 'refs/agentctl/collected');
    expect(log).toContain('agent work');
    const files = git(hostGit, '--git-dir', hostGit, 'ls-tree', '-r', '--name-only', 'refs/agentctl/collected');
    expect(files).toContain('loose.txt');
    expect(readFileSync(join(ws, 'outbox', 'agent-done.log'), 'utf8')).toContain('finished');
  });

  it('--push pushes the commit that came back to the agent branch of the recorded origin', () => {
    const { env } = setup();
    const result = dispatchWait(env, 'done', '10', ['--push']);
    const bare = join(forge.dir, 'acme', 'far.git');
    expect(result.status?.pushed?.branch, JSON.stringify(result.status?.warnings)).toBe('agent/issue-10');
    expect(git(bare, 'rev-parse', 'refs/heads/agent/issue-10')).toBe(result.status?.pushed?.commit);
    expect(git(bare, 'show', 'refs/heads/agent/issue-10:result.txt')).toBe('work');
    expect(git(bare, 'show', 'refs/heads/agent/issue-10:loose.txt')).toBe('loose');
  });

  it('runs QA on the same engine, on a copy: its files stay there, its log comes back', () => {
    const { env, state } = setup(undefined, 'qa:\n  commands: ["touch qa-artifact && echo qa-saw-$(cat result.txt)"]\n');
    const result = dispatchWait(env, 'done', '7');
    expect(result.status, result.stderr).toMatchObject({ state: 'completed', qa: { state: 'passed' } });
    expect(readFileSync(result.status?.qa.log, 'utf8')).toContain('qa-saw-work');
    expect(existsSync(join(wsOf(state, '7'), 'repo', 'qa-artifact'))).toBe(false);
  });

  it('a question ends the run blocked, a non-zero exit ends it failed', () => {
    const { env } = setup();
    const blocked = dispatchWait(env, 'blocked', '2');
    expect(blocked.status, blocked.stderr).toMatchObject({ state: 'blocked' });
    expect(JSON.stringify(blocked.status)).toContain('Which colour?');
    const failed = dispatchWait(env, 'broken', '3');
    expect(failed.status, failed.stderr).toMatchObject({ state: 'failed' });
    expect(failed.status?.reason).toContain('code 3');
  });

  it('mounts nothing of this machine: the engine sees only its own volume at /workspace', async () => {
    const { env, state } = setup();
    expect(runCli(['dispatch', '--repo', 'acme/far', '--issue', '4', '--agent', 'hang', '--runtime', engine.name], env).code).toBe(0);
    const ws = wsOf(state, '4');
    try {
      const inspected = JSON.parse(execFileSync('docker', ['-H', engine.url, 'inspect', ...(await engine.runtime.list({ 'dev.agentctl.workspace': ws })).map((c) => c.id)], { encoding: 'utf8' })) as Array<{
        Mounts: Array<{ Type: string; Destination: string }>;
        HostConfig: { Binds: string[] | null };
      }>;
      expect(inspected).toHaveLength(1);
      // Podman lists the named volume among Binds as "<volume>:/workspace:…": no entry names a path.
      expect((inspected[0]!.HostConfig.Binds ?? []).filter((bind) => bind.startsWith('/'))).toEqual([]);
      expect(inspected[0]!.Mounts.map((m) => [m.Type, m.Destination])).toEqual([['volume', '/workspace']]);
    } finally {
      const cancelled = runCli(['cancel', ws, '--json'], env);
      expect(cancelled.code, cancelled.stderr).toBe(0);
    }
    expect(JSON.parse(runCli(['status', ws, '--json'], env).stdout).runs[0]).toMatchObject({ state: 'cancelled' });
    // Cancel stopped and removed the container, over the connection.
    expect(await engine.runtime.list({ 'dev.agentctl.workspace': ws })).toEqual([]);
  });

  it('stops an agent at its --timeout over the connection', async () => {
    const { env, state } = setup();
    const started = Date.now();
    const result = dispatchWait(env, 'hang', '5', ['--timeout', '3']);
    expect(result.status, result.stderr).toMatchObject({ state: 'failed', stopReason: 'timeout' });
    expect((Date.now() - started) / 1000).toBeLessThan(40);
    expect(await engine.runtime.list({ 'dev.agentctl.workspace': wsOf(state, '5') })).toEqual([]);
  });

  it('stops an agent that prints nothing for --idle-timeout: the log copied back keeps its own time', () => {
    const { env } = setup();
    const result = dispatchWait(env, 'hang', '9', ['--idle-timeout', '3']);
    expect(result.status, result.stderr).toMatchObject({ state: 'failed', reason: 'idle' });
  });

  it('brings no link back: the planted ones are left out, the host file is untouched, the run ends honestly (blocked, unread)', () => {
    const victim = VICTIM;
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, 'secret'), 'host secret\n');
    const { env, state } = setup();
    const result = dispatchWait(env, 'planter', '11');
    // BLOCKED.md was a link: it still blocks the run, as on a local engine, and is not read.
    expect(result.status, result.stderr).toMatchObject({ state: 'blocked', question: expect.stringMatching(/not a regular file/) });
    expect(result.status?.warnings.join('\n')).toMatch(/entries of repo\/ were not brought back \(links, devices or bad names\)/);
    expect(JSON.stringify(result.status)).not.toContain('host secret');
    const ws = wsOf(state, '11');
    const links = (readdirSync(ws, { recursive: true }) as string[]).filter((name) => lstatSync(join(ws, name)).isSymbolicLink());
    expect(links).toEqual([]);
    expect(readFileSync(join(victim, 'secret'), 'utf8')).toBe('host secret\n');
    expect(readFileSync(join(ws, 'outbox', 'agent-planter.log'), 'utf8')).toMatch(/entries of repo\/ were not brought back/);
  });

  it('a flood of output comes back bounded and the run completes with its last line', () => {
    const { env, state } = setup();
    const result = dispatchWait(env, 'flood', '14');
    expect(result.status, result.stderr).toMatchObject({ state: 'completed' });
    expect(readFileSync(join(wsOf(state, '14'), 'outbox', 'agent-flood.log'), 'utf8').trimEnd().endsWith('flood-done')).toBe(true);
  });

  it('kill -9 of agentctl mid-run, then status: the run is found by its labels and finishes with its work', async () => {
    const { env, state } = setup();
    const ws = wsOf(state, '8');
    const child = spawn(process.execPath, [BIN, 'dispatch', '--repo', 'acme/far', '--issue', '8', '--agent', 'slow', '--runtime', engine.name, '--wait'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    // Killed once the agent runs (a kill while the workspace is still being copied in ends the run failed instead).
    while (!(await engine.runtime.list({ 'dev.agentctl.workspace': ws })).some((c) => c.running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    let run: Record<string, any> = {};
    while (Date.now() < deadline + 30_000) {
      run = JSON.parse(runCli(['status', ws, '--json'], env).stdout).runs[0];
      if (run.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(run.state).toBe('completed');
    const hostGit = workspaceLayout(ws).hostGit;
    expect(git(hostGit, '--git-dir', hostGit, 'log', '--format=%s', 'refs/agentctl/collected')).toContain('late work');
    expect(await engine.runtime.list({ 'dev.agentctl.workspace': ws })).toEqual([]);
  }, 120_000);

  it('logs in with the keys of the ssh-agent at SSH_AUTH_SOCK when no key file is set', async () => {
    const socket = join(sshDir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      const until = Date.now() + 10_000;
      while (!existsSync(socket) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      execFileSync('ssh-add', [join(sshDir, 'id')], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
      const { env } = setup(undefined, '', undefined);
      const result = dispatchWait({ ...env, SSH_AUTH_SOCK: socket }, 'done', '12');
      expect(result.status, result.stderr).toMatchObject({ state: 'completed' });
    } finally {
      agent.kill();
    }
  });

  it('refuses a host key that known_hosts does not list, naming the host, the key and the fix', () => {
    const other = join(sshDir, 'other_known_hosts');
    writeFileSync(other, readFileSync(join(sshDir, 'known_hosts'), 'utf8').replace(/AAAA\S+/, 'AAAAC3NzaC1lZDI1NTE5AAAAIBnYQh3EdBJ4fXPxQg7pCZ0dKvH7xCqGdT8h2mEFrz7P'));
    const { env } = setup(other);
    const result = runCli(['dispatch', '--repo', 'acme/far', '--issue', '6', '--agent', 'done', '--runtime', engine.name, '--wait'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/host key SHA256:\S+ does not match/);
    expect(result.stderr).toContain('127.0.0.1');
    expect(result.stderr).toContain('ssh-keyscan');
  });
});
