import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/dispatch.js';
import { run as status } from '../../../src/cli/commands/status.js';
import { SANDBOX_NOTE } from '../../../src/core/agents/agent-argv.js';
import type { ContainerSpec, RuntimeName } from '../../../src/core/container/container-spec.js';
import { AgentctlError } from '../../../src/core/errors.js';
import { homeId } from '../../../src/run/home-id.js';
import type { Env } from '../../../src/runtime/runtime.js';
import { fakeDeps as makeDeps, type FakeDeps } from '../../fakes/fake-deps.js';
import { fakeRegistry, type FakeRegistry } from '../../fakes/fake-registry.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';
import { makeForge, type Forge } from '../../support/git-fixtures.js';
import { seedCliVersions } from './cli-versions.js';
import { CONTAINER_SCRIPT, HOST_SCRIPT } from '../../support/wrapper-scripts.js';

const homes: string[] = [];
afterAll(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** fakeDeps whose temp home is removed after the file. */
function fakeDeps(options: Parameters<typeof makeDeps>[0] = {}): FakeDeps {
  const d = makeDeps(options);
  homes.push(d.home);
  return d;
}

const IMAGE = 'localhost/agent:1';
const NOW = '2026-11-23T10:00:00.000Z';
const FIXED_ENV = [
  { name: 'TERM', value: 'dumb' },
  { name: 'NO_COLOR', value: '1' },
  { name: 'CI', value: 'true' },
  { name: 'HOME', value: '/home/agent' },
  { name: 'GIT_AUTHOR_NAME', value: 'agentctl' },
  { name: 'GIT_AUTHOR_EMAIL', value: 'agentctl@localhost' },
  { name: 'GIT_COMMITTER_NAME', value: 'agentctl' },
  { name: 'GIT_COMMITTER_EMAIL', value: 'agentctl@localhost' },
];
const WAIT_STDERR = [
  `[2026-11-23T10:00:00Z] preparing: acme/web issue 9`,
  `[2026-11-23T10:00:00Z] starting: codex on acme/web (issue #9)`,
  `[2026-11-23T10:00:00Z] started codex on acme/web (issue #9) in docker container fake-1`,
  '',
].join('\n');
const QA_SKIPPED = 'no go.mod, composer.json or package.json; set repos.<org/name>.qa to run QA';

/** What the "container" does when it starts: optionally touch the workspace, then exit with a code (or keep running). */
type Step = (spec: ContainerSpec) => number | undefined;

/** A FakeRuntime whose containers follow a script: each start takes the next step and exits on a timer, as an agent would. */
class ScriptedRuntime extends FakeRuntime {
  readonly steps: Step[] = [];

  constructor(name: RuntimeName = 'docker') {
    super(name);
    this.images.add(IMAGE);
  }

  override async start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
    const started = await super.start(spec, env);
    const step = this.steps.shift();
    if (step !== undefined) {
      setTimeout(() => {
        const code = step(spec);
        if (code !== undefined) this.exit(started.id, code);
      }, 5);
    }
    return started;
  }
}

let forge: Forge;

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'web', { 'README.md': '# web\n' });
});
afterAll(() => forge.cleanup());

function setup(registry: FakeRegistry, env: Record<string, string> = {}, extraConfig = ''): FakeDeps {
  const d = fakeDeps({ env, runtimes: registry });
  d.writeUserConfig(`defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${IMAGE}\n${extraConfig}`);
  seedCliVersions(d);
  return d;
}

const workspaceOf = (d: FakeDeps, slot = 'task-9') => join(d.state, 'workspace', 'acme', 'web', slot);
/** HEAD of the workspace checkout: what a run records as its startCommit. */
const headOf = (ws: string) => execFileSync('git', ['-C', join(ws, 'repo'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const jsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function rejection(promise: Promise<unknown>): Promise<AgentctlError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AgentctlError);
  return error as AgentctlError;
}

describe('dispatch (container agent)', () => {
  it.each<[string, string, string | undefined]>([
    ['codex', 'codex', '.codex'],
    ['claude', 'claude', '.claude'],
    ['gemini', 'gemini', '.gemini'],
    ['local (codex on a local model)', 'local:qwen3', '.codex'],
    ['coderabbit', 'coderabbit', undefined],
  ])('%s sees only its own top-level credential files, each read-only, copied into HOME by the wrapper', async (_, agent, dir) => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    for (const name of ['.claude', '.codex', '.gemini']) {
      const home = join(d.home, name);
      mkdirSync(join(home, 'projects', 'other'), { recursive: true });
      writeFileSync(join(home, 'auth.json'), '{}\n');
      writeFileSync(join(home, 'settings.json'), '{}\n');
      // Not mounted: other projects' transcripts, a link, a file too big to be a login, a name --volume would misread.
      writeFileSync(join(home, 'projects', 'other', 'session.jsonl'), '{}\n');
      symlinkSync('/etc/passwd', join(home, 'link.json'));
      writeFileSync(join(home, 'history.jsonl'), Buffer.alloc(1024 * 1024 + 1));
      writeFileSync(join(home, 'a:b.json'), '{}\n');
    }
    expect(await run({ repo: 'acme/web', issue: '9', task: 'x', agent }, d)).toBe(0);
    const spec = docker.started[0]!.spec;
    expect(spec.configMounts).toEqual(
      dir === undefined
        ? []
        : ['auth.json', 'settings.json'].map((file) => ({ hostPath: join(d.home, dir, file), containerPath: `/agentctl/credentials/${dir}/${file}` })),
    );
    const credentials = spec.argv.filter((arg) => arg.startsWith('AGENTCTL_CREDENTIALS='));
    expect(credentials).toEqual(dir === undefined ? [] : [`AGENTCTL_CREDENTIALS=/agentctl/credentials/${dir}`]);
  });

  it('a credential dir with no top-level regular file mounts nothing and copies nothing', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    mkdirSync(join(d.home, '.claude', 'projects', 'other'), { recursive: true });
    writeFileSync(join(d.home, '.claude', 'projects', 'other', 'session.jsonl'), '{}\n');
    expect(await run({ repo: 'acme/web', issue: '9', task: 'x', agent: 'claude' }, d)).toBe(0);
    const spec = docker.started[0]!.spec;
    expect(spec.configMounts).toEqual([]);
    expect(spec.argv.filter((arg) => arg.startsWith('AGENTCTL_CREDENTIALS='))).toEqual([]);
  });

  it('on Apple container, names the hardening its CLI cannot apply', async () => {
    const apple = new ScriptedRuntime('apple');
    const d = setup(fakeRegistry([apple]), {}, '  prefer: apple\n');
    d.platform = 'darwin';
    expect(await run({ repo: 'acme/web', issue: '9', task: 'x' }, d)).toBe(0);
    expect(d.io.stderr).toContain(
      'warning: Apple container cannot apply no-new-privileges, a process limit (pids 2048), a read-only root file system to codex\n',
    );
    expect(apple.started[0]!.spec.hardening.readOnlyRoot).toBe(true);
  });

  it('takes the agent\'s own network and limits over runtime\'s', async () => {
    const docker = new ScriptedRuntime('docker');
    // Continues the runtime: mapping setup() ends with.
    const config = '  limits:\n    memory: 2g\n    pids: 500\nagents:\n  codex:\n    network: none\n    limits:\n      pids: 100\n      cpus: 0.5\n';
    const d = setup(fakeRegistry([docker]), {}, config);
    expect(await run({ repo: 'acme/web', issue: '9', task: 'x' }, d)).toBe(0);
    const spec = docker.started[0]!.spec;
    expect({ limits: spec.hardening.limits, network: spec.hardening.network, extraHosts: spec.extraHosts }).toEqual({
      limits: { pids: 100, memory: '2g', cpus: 0.5 },
      network: 'none',
      extraHosts: [],
    });
    expect(spec.env.map((entry) => entry.name)).not.toContain('AGENTCTL_HOST_GATEWAY');
  });

  it('starts the agent container with the configured image, labels, user and only the env names that are set', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker, new ScriptedRuntime('podman')]), { OPENAI_API_KEY: 'sk-test-value', CODEX_API_KEY: '' });
    const code = await run({ repo: 'acme/web', issue: '9', task: 'Fix it' }, d);
    const ws = workspaceOf(d);

    expect(code).toBe(0);
    expect(d.io.stdout).toBe(`${ws}\n`);
    expect(d.io.stderr).toBe(`started codex on acme/web (issue #9) in docker container fake-1\nfollow: agentctl status ${ws}   log: ${ws}/outbox/agent-codex.log\n`);

    expect(docker.started).toHaveLength(1);
    const prompt = readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8');
    expect(prompt).toContain('Fix it');
    const started = docker.started[0]!;
    expect(started.id).toBe('fake-1');
    expect(started.spec).toEqual({
      image: IMAGE,
      // One container name per run, and the run number as a label so a later process can adopt it.
      name: `agentctl-acme-web-task-9-${homeId(d.state).slice(0, 8)}-1`,
      // The state home's own id: list and find take no container that merely names this workspace.
      labels: { 'dev.agentctl.workspace': ws, 'dev.agentctl.agent': 'codex', 'dev.agentctl.repo': 'acme/web', 'dev.agentctl.run': '1', 'dev.agentctl.home': homeId(d.state) },
      mounts: [
        { hostPath: join(ws, 'repo'), containerPath: '/workspace/repo', readOnly: false },
        { hostPath: join(ws, 'outbox'), containerPath: '/workspace/outbox', readOnly: false },
        { hostPath: join(ws, 'inbox'), containerPath: '/workspace/inbox', readOnly: true },
      ],
      configMounts: [],
      hardening: {
        capAdd: [],
        noNewPrivileges: true,
        readOnlyRoot: true,
        tmpfs: [
          { path: '/tmp', ownedByUser: false },
          { path: '/var/tmp', ownedByUser: false },
          { path: '/home/agent', ownedByUser: true },
        ],
        limits: { pids: 2048, memory: '4g', cpus: Math.min(2, availableParallelism()) },
        network: 'bridge',
      },
      workdir: '/workspace/repo',
      env: [...FIXED_ENV, { name: 'AGENTCTL_HOST_GATEWAY', value: 'host.docker.internal' }, { name: 'OPENAI_API_KEY' }],
      user: '1000:1000',
      gpu: false,
      extraHosts: ['host.docker.internal:host-gateway'],
      argv: [
        'env', 'AGENTCTL_LOG=/workspace/outbox/agent-codex.log', 'AGENTCTL_STDIN=/dev/null', 'AGENTCTL_EXIT=/workspace/outbox/exit-code', 'sh', '-c', CONTAINER_SCRIPT, 'agentctl-run',
        'codex', 'exec', '--json', '--dangerously-bypass-approvals-and-sandbox', '--', prompt,
      ],
      stdin: false,
      autoRemove: true,
    });
    // The secret's value only reaches the engine call, resolved from the environment.
    expect(started.env).toContain('OPENAI_API_KEY=sk-test-value');
    expect(started.env.filter((entry) => entry.startsWith('CODEX_API_KEY'))).toEqual([]);
    expect(JSON.stringify(started.spec)).not.toContain('sk-test-value');

    expect(readJson(join(ws, '.meta', 'status.json'))).toEqual({
      version: 1,
      state: 'running',
      workspace: ws,
      repo: 'acme/web',
      agent: 'codex',
      pool: 'codex',
      runtime: 'docker',
      image: IMAGE,
      containerId: 'fake-1',
      runCount: 1,
      startedAt: NOW,
      owner: { uid: 1000, gid: 1000 },
      priority: 0,
      timeoutSeconds: 3600,
      // timeouts.idle defaults to 0: no idle timeout.
      idleSeconds: 0,
      // HEAD when the agent started, to tell later whether it changed anything.
      startCommit: headOf(ws),
      warnings: [],
    });
    expect(readJson(join(ws, '.meta', 'status.json')).startCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(readJson(join(ws, '.meta', 'job.json'))).toMatchObject({ timeoutSeconds: 3600, idleSeconds: 0 });
    expect(readJson(join(ws, '.meta', 'job.json')).budgetUsd).toBeUndefined();
    // Not waiting: a background supervisor is asked for, exactly once, to finish the run later.
    expect(d.supervisorStarts).toBe(1);
    const startedEvent = { type: 'started', at: NOW, workspace: ws, agent: 'codex', runtime: 'docker', runCount: 1, containerId: 'fake-1' };
    expect(jsonLines(join(ws, '.meta', 'events.jsonl'))).toEqual([startedEvent]);
    expect(jsonLines(join(d.state, 'events.jsonl'))).toEqual([startedEvent]);
    expect(readFileSync(join(ws, 'outbox', 'agent-codex.log'), 'utf8')).toBe(`=== agentctl run 1: codex started ${NOW} ===\n`);
  });

  it('a status while the agent is starting leaves the run to its starter, and a later one finishes it from the exit code', async () => {
    /** The agent ends, and the engine removes its container, before `start` has returned; then a `status` looks. */
    let during: Record<string, unknown> | undefined;
    class QuickRuntime extends ScriptedRuntime {
      override async start(spec: ContainerSpec, env: Env): Promise<{ id: string }> {
        const started = await super.start(spec, env);
        this.exit(started.id, 3);
        expect(await status({}, d)).toBe(0);
        during = readJson(join(ws, '.meta', 'status.json'));
        return started;
      }
    }
    const docker = new QuickRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    expect(await run({ repo: 'acme/web', issue: '9' }, d)).toBe(0);
    // The starter holds the run while it starts the agent: the status neither finished nor requeued it.
    expect(during).toMatchObject({ state: 'running', runCount: 1, claimedBy: process.pid });
    expect(await status({}, d)).toBe(0);
    expect(readJson(join(ws, '.meta', 'status.json'))).toMatchObject({ state: 'failed', exitCode: 3, reason: 'agent exited with code 3', runCount: 1 });
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).map((e) => e.type)).toEqual(['started', 'finished']);
  });

  it('passes no env names at all when none of the agent variables is set', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    expect(await run({ repo: 'acme/web', issue: '9' }, d)).toBe(0);
    expect(docker.started[0]!.spec.env).toEqual([...FIXED_ENV, { name: 'AGENTCTL_HOST_GATEWAY', value: 'host.docker.internal' }]);
  });

  it.each<[string, number | undefined, boolean, number, (ws: string) => string]>([
    [
      'exit 0: completed, QA skipped',
      0,
      false,
      0,
      (ws) => `completed: codex on acme/web\nnot pushed: push was not asked for (--push, or defaults.push in the config)\nQA: skipped (${QA_SKIPPED}); log ${ws}/.meta/qa.log\nworkspace: ${ws}\n`,
    ],
    ['exit 3: failed', 3, false, 10, (ws) => `failed: codex on acme/web (agent exited with code 3)\nworkspace: ${ws}\n`],
    [
      'BLOCKED.md written before exit 0: blocked, question printed',
      0,
      true,
      11,
      (ws) => `blocked: codex on acme/web (agent wrote BLOCKED.md)\nquestion:\n  Which database should I use?\n  Postgres or SQLite?\nnext: agentctl answer ${ws} "…"\nworkspace: ${ws}\n`,
    ],
    [
      'BLOCKED.md wins over a non-zero exit',
      5,
      true,
      11,
      (ws) => `blocked: codex on acme/web (agent wrote BLOCKED.md)\nquestion:\n  Which database should I use?\n  Postgres or SQLite?\nnext: agentctl answer ${ws} "…"\nworkspace: ${ws}\n`,
    ],
  ])('--wait, %s', async (_name, exitCode, block, expectedCode, summary) => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    docker.steps.push(() => {
      if (block) writeFileSync(join(ws, 'repo', 'BLOCKED.md'), '\nWhich database should I use?\nPostgres or SQLite?\n');
      // The agent did some work: a run that changes nothing is "completed (no changes)", tested on its own below.
      else writeFileSync(join(ws, 'repo', 'fix.txt'), 'fixed\n');
      return exitCode;
    });
    const code = await run({ repo: 'acme/web', issue: '9', wait: true }, d);
    expect(code).toBe(expectedCode);
    expect(d.io.stdout).toBe(summary(ws));
    // Off a terminal, --wait tells each phase on a timestamped line.
    expect(d.io.stderr).toBe(WAIT_STDERR);
    const status = readJson(join(ws, '.meta', 'status.json'));
    expect(status.state).toBe(block ? 'blocked' : exitCode === 0 ? 'completed' : 'failed');
    expect(status.exitCode).toBe(exitCode);
    expect(status.finishedAt).toBe(NOW);
    expect(status.noChanges).toBeUndefined();
    expect(docker.autoRemoved).toEqual(['fake-1']);
    expect(docker.removed).toEqual([]);
    const events = jsonLines(join(ws, '.meta', 'events.jsonl'));
    const types = block ? ['started', 'blocked', 'finished'] : exitCode === 0 ? ['started', 'qa', 'finished'] : ['started', 'finished'];
    expect(events.map((e) => e.type)).toEqual(types);
    expect(events[types.length - 1]).toMatchObject({ state: status.state, exitCode, at: NOW });
    if (block) expect(events[1]).toEqual({ type: 'blocked', at: NOW, workspace: ws, agent: 'codex', question: status.question });
    else if (exitCode === 0) expect(events[1]).toEqual({ type: 'qa', at: NOW, workspace: ws, state: 'skipped' });
  });

  const commitAll = (repo: string) =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=agent', '-c', 'user.email=agent@localhost', 'commit', '--quiet', '--all', '--message', 'agent work'], {
      stdio: 'ignore',
    });

  it.each<[string, (repo: string) => void, boolean]>([
    ['changes nothing: completed (no changes)', () => undefined, true],
    ['only leaves an untracked file: completed', (repo) => writeFileSync(join(repo, 'notes.txt'), 'todo\n'), false],
    ['edits a tracked file: completed', (repo) => writeFileSync(join(repo, 'README.md'), '# web, fixed\n'), false],
    [
      'commits its work, leaving a clean worktree: completed',
      (repo) => {
        writeFileSync(join(repo, 'README.md'), '# web, committed\n');
        commitAll(repo);
      },
      false,
    ],
  ])('--wait, exit 0, the agent %s', async (_name, work, noChanges) => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    docker.steps.push(() => {
      work(join(ws, 'repo'));
      return 0;
    });
    expect(await run({ repo: 'acme/web', issue: '9', wait: true }, d)).toBe(0);
    const label = noChanges ? 'completed (no changes)' : 'completed';
    // A run with changes says why they were not pushed; one with none has nothing to push.
    const pushLine = noChanges ? '' : 'not pushed: push was not asked for (--push, or defaults.push in the config)\n';
    expect(d.io.stdout).toBe(`${label}: codex on acme/web\n${pushLine}QA: skipped (${QA_SKIPPED}); log ${ws}/.meta/qa.log\nworkspace: ${ws}\n`);
    const status = readJson(join(ws, '.meta', 'status.json'));
    expect(status).toMatchObject({ state: 'completed', exitCode: 0, startCommit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(status.noChanges).toBe(noChanges ? true : undefined);
    const types = noChanges ? ['started', 'qa', 'no-changes', 'finished'] : ['started', 'qa', 'finished'];
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).map((e) => e.type)).toEqual(types);
    expect(jsonLines(join(d.state, 'events.jsonl')).map((e) => e.type)).toEqual(types);
    if (noChanges) {
      expect(jsonLines(join(ws, '.meta', 'events.jsonl'))[1]).toEqual({ type: 'qa', at: NOW, workspace: ws, state: 'skipped' });
      expect(jsonLines(join(ws, '.meta', 'events.jsonl'))[2]).toEqual({ type: 'no-changes', at: NOW, workspace: ws, agent: 'codex' });
      expect(status.startCommit).toBe(headOf(ws));
    }
  });

  it.each<[string, number]>([
    ['failed', 3],
    ['blocked', 0],
  ])('a %s run that changed nothing is not flagged noChanges', async (state, exitCode) => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    docker.steps.push(() => {
      // BLOCKED.md is agentctl's to read; the repository is otherwise untouched.
      if (state === 'blocked') writeFileSync(join(ws, 'repo', 'BLOCKED.md'), 'Which API?\n');
      return exitCode;
    });
    await run({ repo: 'acme/web', issue: '9', wait: true }, d);
    const status = readJson(join(ws, '.meta', 'status.json'));
    expect(status.state).toBe(state);
    expect(status.noChanges).toBeUndefined();
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).map((e) => e.type)).toEqual(state === 'blocked' ? ['started', 'blocked', 'finished'] : ['started', 'finished']);
  });

  it('--wait --json prints the final status', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    docker.steps.push(() => 3);
    expect(await run({ repo: 'acme/web', issue: '9', wait: true, json: true }, d)).toBe(10);
    expect(JSON.parse(d.io.stdout)).toEqual({
      version: 1,
      state: 'failed',
      workspace: ws,
      repo: 'acme/web',
      agent: 'codex',
      pool: 'codex',
      runtime: 'docker',
      image: IMAGE,
      containerId: 'fake-1',
      runCount: 1,
      startedAt: NOW,
      finishedAt: NOW,
      exitCode: 3,
      reason: 'agent exited with code 3',
      owner: { uid: 1000, gid: 1000 },
      priority: 0,
      timeoutSeconds: 3600,
      idleSeconds: 0,
      startCommit: headOf(ws),
      // The log held only agentctl's own header line: nothing to show yet.
      progress: [],
      warnings: [],
      // What the text summary says, with stable names.
      summary: {
        outcome: 'failed',
        reason: 'agent exited with code 3',
        hint: null,
        pullRequest: null,
        notPushed: null,
        reviewVerdict: null,
        qa: null,
        deniedTools: [],
        costUsd: null,
        turns: null,
        sessionId: null,
        next: null,
      },
    });
    // The waiting process finishes the run itself: no supervisor needed.
    expect(d.supervisorStarts).toBe(0);
  });

  it('--wait runs the repo QA in a container of the same image and exits 12 when it fails', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]), {}, 'repos:\n  acme/web:\n    qa: ["npm ci", "npm test"]\n');
    const ws = workspaceOf(d);
    docker.steps.push(
      () => 0,
      () => {
        // What the QA wrapper would leave behind when its second command fails.
        writeFileSync(join(ws, 'outbox', 'qa-failed-command'), 'npm test');
        return 1;
      },
    );
    expect(await run({ repo: 'acme/web', issue: '9', wait: true }, d)).toBe(12);
    expect(d.io.stdout).toBe(`completed (QA failed): codex on acme/web\nQA: failed ("npm test" failed (exit code 1)); log ${ws}/.meta/qa.log\nworkspace: ${ws}\n`);
    expect(docker.started).toHaveLength(2);
    const qa = docker.started[1]!.spec;
    expect(qa.image).toBe(IMAGE);
    expect(qa.labels).toEqual({ 'dev.agentctl.workspace': ws, 'dev.agentctl.role': 'qa' });
    expect(qa.argv.slice(0, 3)).toEqual(['env', 'AGENTCTL_QA_FAILED=/workspace/outbox/qa-failed-command', 'AGENTCTL_QA_LOG=/workspace/outbox/qa.log']);
    expect(qa.argv.slice(-3)).toEqual(['agentctl-qa', 'npm ci', 'npm test']);
    // The QA container is kept for its exit code until agentctl has read it; the agent's went as it exited.
    expect(docker.removed).toEqual(['fake-2']);
    expect(docker.autoRemoved).toEqual(['fake-1']);
    expect(readFileSync(join(ws, '.meta', 'qa.log'), 'utf8')).toBe('# QA from config (repos.<repo>.qa)\n');
    expect(readJson(join(ws, '.meta', 'status.json')).qa).toEqual({
      state: 'failed',
      commands: ['npm ci', 'npm test'],
      failedCommand: 'npm test',
      log: `${ws}/.meta/qa.log`,
      reason: '"npm test" failed (exit code 1)',
    });
  });

  it('--wait stops a QA container that runs past timeouts.qa, removes it and fails QA naming the limit (exit 12)', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]), {}, 'timeouts:\n  qa: 1\n  grace: 2\nrepos:\n  acme/web:\n    qa: ["sleep infinity"]\n');
    const ws = workspaceOf(d);
    // The agent ends; its QA container never does on its own.
    docker.steps.push(
      () => 0,
      () => undefined,
    );
    expect(await run({ repo: 'acme/web', issue: '9', wait: true }, d)).toBe(12);
    expect(docker.stopped).toEqual([{ id: 'fake-2', graceSeconds: 2 }]);
    expect(docker.removed).toEqual(['fake-2']);
    const qa = readJson(join(ws, '.meta', 'status.json')).qa;
    expect(qa).toMatchObject({ state: 'failed', reason: 'QA ran longer than its 1 s limit' });
    expect((qa as { hint: string }).hint).toContain('timeouts.qa');
    expect(d.io.stdout).toContain('QA: failed (QA ran longer than its 1 s limit)');
  });

  it('removes a BLOCKED.md left by an earlier run when it starts again, and counts the runs', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    const blocked = join(ws, 'repo', 'BLOCKED.md');
    docker.steps.push(() => {
      writeFileSync(blocked, 'Which API version?\n');
      return 0;
    });
    expect(await run({ repo: 'acme/web', issue: '9', wait: true }, d)).toBe(11);
    expect(existsSync(blocked)).toBe(true);

    let blockedAtSecondStart: boolean | undefined;
    docker.steps.push(() => {
      blockedAtSecondStart = existsSync(blocked);
      writeFileSync(join(ws, 'repo', 'api.txt'), 'v2\n');
      return 0;
    });
    d.io.stdout = '';
    d.io.stderr = '';
    expect(await run({ repo: 'acme/web', issue: '9', wait: true }, d)).toBe(0);
    expect(blockedAtSecondStart).toBe(false);
    expect(existsSync(blocked)).toBe(false);
    expect(d.io.stdout).toBe(
      `completed: codex on acme/web\nnot pushed: push was not asked for (--push, or defaults.push in the config)\nQA: skipped (${QA_SKIPPED}); log ${ws}/.meta/qa.log\nworkspace: ${ws}\n`,
    );
    expect(d.io.stderr).toBe(WAIT_STDERR.replace('fake-1', 'fake-2'));
    const status = readJson(join(ws, '.meta', 'status.json'));
    expect(status).toMatchObject({ state: 'completed', runCount: 2, containerId: 'fake-2', exitCode: 0 });
    expect(docker.started.map((c) => [c.spec.name, c.spec.labels['dev.agentctl.run']])).toEqual([
      [`agentctl-acme-web-task-9-${homeId(d.state).slice(0, 8)}-1`, '1'],
      [`agentctl-acme-web-task-9-${homeId(d.state).slice(0, 8)}-2`, '2'],
    ]);
    expect(status.question).toBeUndefined();
    expect(readFileSync(join(ws, 'outbox', 'agent-codex.log'), 'utf8')).toBe(
      `=== agentctl run 1: codex started ${NOW} ===\n=== agentctl run 2: codex started ${NOW} ===\n`,
    );
    expect(jsonLines(join(ws, '.meta', 'events.jsonl')).map((e) => [e.type, e.runCount ?? e.state])).toEqual([
      ['started', 1],
      ['blocked', undefined],
      ['finished', 'blocked'],
      ['started', 2],
      ['qa', 'skipped'],
      ['finished', 'completed'],
    ]);
  });

  it('warns and falls back to docker when the requested podman is not available', async () => {
    const docker = new ScriptedRuntime('docker');
    const podman = new ScriptedRuntime('podman');
    podman.availability = { runtime: 'podman', ok: false, detail: 'connect ENOENT /run/podman/podman.sock', endpoint: 'unix:///run/podman/podman.sock' };
    const d = setup(fakeRegistry([docker, podman]));
    const ws = workspaceOf(d);
    expect(await run({ repo: 'acme/web', issue: '9', runtime: 'podman' }, d)).toBe(0);
    expect(d.io.stderr).toBe(
      'warning: runtime podman is not available (connect ENOENT /run/podman/podman.sock); using docker instead\n' +
        'started codex on acme/web (issue #9) in docker container fake-1\n' +
        `follow: agentctl status ${ws}   log: ${ws}/outbox/agent-codex.log\n`,
    );
    expect(podman.started).toEqual([]);
    expect(docker.started).toHaveLength(1);
    expect(readJson(join(ws, '.meta', 'status.json')).runtime).toBe('docker');
  });

  it('uses an available explicit --runtime podman without a warning', async () => {
    const docker = new ScriptedRuntime('docker');
    const podman = new ScriptedRuntime('podman');
    const d = setup(fakeRegistry([docker, podman]));
    expect(await run({ repo: 'acme/web', issue: '9', runtime: 'podman' }, d)).toBe(0);
    expect(d.io.stderr.split('\n')[0]).toBe('started codex on acme/web (issue #9) in podman container fake-1');
    expect(docker.started).toEqual([]);
    expect(podman.started).toHaveLength(1);
  });

  it('fails with no_runtime (exit 4) and creates no workspace when no engine answers', async () => {
    const docker = new ScriptedRuntime('docker');
    const podman = new ScriptedRuntime('podman');
    docker.availability = { runtime: 'docker', ok: false, detail: 'connect ENOENT /var/run/docker.sock', endpoint: 'unix:///var/run/docker.sock' };
    podman.availability = { runtime: 'podman', ok: false, detail: 'connect ECONNREFUSED', endpoint: 'unix:///run/podman/podman.sock' };
    const d = setup(fakeRegistry([docker, podman]));
    const error = await rejection(run({ repo: 'acme/web', issue: '9' }, d));
    expect(error.code).toBe('no_runtime');
    expect(error.exitCode).toBe(4);
    expect(error.message).toBe(
      'no container runtime is available (tried docker at unix:///var/run/docker.sock: connect ENOENT /var/run/docker.sock; podman at unix:///run/podman/podman.sock: connect ECONNREFUSED)',
    );
    expect(error.hint).toMatch(/^start Docker \(dockerd, or Docker Desktop\) or Podman/);
    expect(existsSync(join(d.state, 'workspace'))).toBe(false);
    expect(docker.started).toEqual([]);
    expect(d.io.stdout).toBe('');
    expect(d.io.stderr).toBe('');
  });

  it('fails with image_missing (exit 4) and creates no workspace when the image is not in the engine', async () => {
    const docker = new ScriptedRuntime('docker');
    docker.images.clear();
    docker.images.add('localhost/some-other:1');
    const d = setup(fakeRegistry([docker]));
    const error = await rejection(run({ repo: 'acme/web', issue: '9' }, d));
    expect(error.code).toBe('image_missing');
    expect(error.exitCode).toBe(4);
    expect(error.message).toBe(`image ${IMAGE} is not present in docker`);
    expect(error.hint).toBe(
      "build the agent image (agentctl image build), or set runtime.image in the config or AGENTCTL_IMAGE to an image you have",
    );
    expect(existsSync(join(d.state, 'workspace'))).toBe(false);
    expect(docker.started).toEqual([]);
  });

  it.each([
    ['no_runtime', (docker: ScriptedRuntime) => {
      docker.availability = { runtime: 'docker', ok: false, detail: 'connect ENOENT /var/run/docker.sock', endpoint: 'unix:///var/run/docker.sock' };
    }],
    ['image_missing', (docker: ScriptedRuntime) => docker.images.clear()],
  ])('with the mirror already cached, %s leaves no workspace behind though the clone ran beside the engine check', async (code, breakEngine) => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    expect(await run({ repo: 'acme/web', issue: '1', dryRun: true }, d)).toBe(0);
    breakEngine(docker);
    const error = await rejection(run({ repo: 'acme/web', issue: '9' }, d));
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(4);
    expect(readdirSync(join(d.state, 'workspace', 'acme', 'web'))).toEqual(['task-1']);
    expect(docker.started).toEqual([]);
  });

  it('refuses a second dispatch while the first is running (already_running, exit 2) and starts nothing', async () => {
    const docker = new ScriptedRuntime('docker');
    const d = setup(fakeRegistry([docker]));
    const ws = workspaceOf(d);
    expect(await run({ repo: 'acme/web', issue: '9', task: 'TASK-A' }, d)).toBe(0);
    const before = readFileSync(join(ws, '.meta', 'status.json'), 'utf8');
    const error = await rejection(run({ repo: 'acme/web', issue: '9', task: 'TASK-B' }, d));
    expect(readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8')).toContain('TASK-A');
    expect(error.code).toBe('already_running');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`an agent is already running in ${ws}`);
    expect(error.hint).toBe(`follow it with "agentctl status ${ws}", or stop it with "agentctl cancel ${ws}"`);
    expect(docker.started).toHaveLength(1);
    // The refused dispatch looked at the running run (and read its output so far) but changed nothing else.
    expect(readJson(join(ws, '.meta', 'status.json'))).toEqual({ ...(JSON.parse(before) as Record<string, unknown>), progress: [] });
  });
});

/** Host agents are an explicit opt-in; each run says it had no sandbox. */
const HOST_CLAUDE = 'agents:\n  claude:\n    host: true\n';
const HOST_WARNING = 'agent claude runs on the host (agents.claude.host), outside any container: it can read and change everything your user can';

describe('dispatch (host agent)', () => {
  it('starts claude on the host in <ws>/repo through the sh wrapper, passing only the env names that are set', async () => {
    const registry = fakeRegistry([]);
    const d = setup(registry, { ANTHROPIC_API_KEY: 'sk-ant-test', CLAUDE_CODE_OAUTH_TOKEN: '' }, HOST_CLAUDE);
    const ws = workspaceOf(d);
    expect(await run({ repo: 'acme/web', issue: '9', agent: 'claude' }, d)).toBe(0);
    expect(registry.probes).toBe(0);
    expect(d.io.stdout).toBe(`${ws}\n`);
    expect(d.io.stderr).toBe(
      `warning: ${HOST_WARNING}\nstarted claude on acme/web (issue #9) in host process 4242\nfollow: agentctl status ${ws}   log: ${ws}/outbox/agent-claude.log\n`,
    );

    const prompt = readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8');
    const sessionId = '00000000-0000-4000-8000-000000000001';
    expect(registry.host.started).toEqual([
      {
        pid: 4242,
        env: { ANTHROPIC_API_KEY: 'sk-ant-test' },
        spec: {
          cwd: join(ws, 'repo'),
          passEnv: ['ANTHROPIC_API_KEY'],
          fixedEnv: {
            NO_COLOR: '1',
            CI: 'true',
            TERM: 'dumb',
            GIT_AUTHOR_NAME: 'agentctl',
            GIT_AUTHOR_EMAIL: 'agentctl@localhost',
            GIT_COMMITTER_NAME: 'agentctl',
            GIT_COMMITTER_EMAIL: 'agentctl@localhost',
          },
          argv: [
            'env',
            `AGENTCTL_LOG=${ws}/outbox/agent-claude.log`,
            'AGENTCTL_STDIN=/dev/null',
            `AGENTCTL_EXIT=${ws}/outbox/exit-code`,
            `AGENTCTL_PID=${ws}/.meta/pid`,
            'sh',
            '-c',
            HOST_SCRIPT,
            'agentctl-run',
            'claude', '-p', prompt, '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions',
            '--append-system-prompt', SANDBOX_NOTE, '--session-id', sessionId,
          ],
        },
      },
    ]);
    expect(readJson(join(ws, '.meta', 'status.json'))).toEqual({
      version: 1,
      state: 'running',
      workspace: ws,
      repo: 'acme/web',
      agent: 'claude',
      pool: 'claude',
      runtime: 'host',
      pid: 4242,
      sessionId,
      runCount: 1,
      startedAt: NOW,
      owner: { uid: 1000, gid: 1000 },
      priority: 0,
      timeoutSeconds: 3600,
      idleSeconds: 0,
      startCommit: headOf(ws),
      warnings: [HOST_WARNING],
    });
    expect(d.supervisorStarts).toBe(1);
    expect(jsonLines(join(ws, '.meta', 'events.jsonl'))).toEqual([
      { type: 'warning', at: NOW, workspace: ws, message: HOST_WARNING },
      { type: 'started', at: NOW, workspace: ws, agent: 'claude', runtime: 'host', runCount: 1, pid: 4242 },
    ]);
  });

  it('--wait never runs QA of a host agent on the host: with no engine to run it in, QA fails saying why (exit 12)', async () => {
    const registry = fakeRegistry([]);
    const d = setup(registry, {}, `${HOST_CLAUDE}repos:\n  acme/web:\n    qa: ["touch qa-ran-here"]\n`);
    const ws = workspaceOf(d);
    const pending = run({ repo: 'acme/web', issue: '9', agent: 'claude', wait: true }, d);
    // The agent ends once it has been started (and not before, or start would make it run again).
    const settled = pending.then(
      () => true,
      () => true,
    );
    while (registry.host.started.length === 0 && !(await Promise.race([settled, new Promise<false>((resolve) => setTimeout(() => resolve(false), 5))]))) {
      // wait for the start
    }
    registry.host.finish(4242, 0);
    expect(await pending).toBe(12);
    const status = readJson(join(ws, '.meta', 'status.json'));
    expect(status).toMatchObject({ state: 'completed', exitCode: 0, qa: { state: 'failed' } });
    expect((status.qa as { reason: string }).reason).toContain('in a container, never on the host');
    expect(existsSync(join(ws, 'repo', 'qa-ran-here'))).toBe(false);
  });
});
