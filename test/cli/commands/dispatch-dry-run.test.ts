import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/dispatch.js';
import { AgentctlError } from '../../../src/core/errors.js';
import type { RuntimeName } from '../../../src/core/container/container-spec.js';
import { fakeDeps } from '../../fakes/fake-deps.js';
import { fakeRegistry } from '../../fakes/fake-registry.js';
import { FakeRuntime } from '../../fakes/fake-runtime.js';
import { makeForge, type Forge } from '../../support/git-fixtures.js';
import { CONTAINER_SCRIPT } from '../../support/wrapper-scripts.js';

let forge: Forge;

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'web', { 'README.md': '# web\n' });
});
afterAll(() => forge.cleanup());

/** An engine that answers, holding the configured image, as a dispatch would find it. */
function engine(name: RuntimeName, up = true, image = 'localhost/agent:1'): FakeRuntime {
  const runtime = new FakeRuntime(name);
  runtime.images.add(image);
  if (!up) runtime.availability = { runtime: name, ok: false, detail: `connect ENOENT /run/${name}.sock`, endpoint: `unix:///run/${name}.sock` };
  return runtime;
}

function deps(env: Record<string, string> = {}, isTTY = false, config = '', engines: FakeRuntime[] = [engine('docker'), engine('podman')]) {
  const d = fakeDeps({ env: { DOCKER_HOST: 'unix:///nonexistent.sock', ...env }, isTTY, runtimes: fakeRegistry(engines) });
  d.writeUserConfig(`defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  prefer: podman\n  image: localhost/agent:1\n${config}`);
  return d;
}

/** Every agent container's walls, shown in the dry run exactly as the engine gets them. */
const HARDENING =
  '--cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs /tmp:rw,nosuid,nodev,exec,mode=1777 --tmpfs /var/tmp:rw,nosuid,nodev,exec,mode=1777 ' +
  `--tmpfs /home/agent:rw,nosuid,nodev,exec,U --pids-limit 2048 --memory 4g --cpus ${Math.min(2, availableParallelism())} --network bridge`;

describe('dispatch --dry-run (command)', () => {
  it('prints the workspace, checkout, agent and exact command, plain when not a terminal', async () => {
    const d = deps({ OPENAI_API_KEY: 'sk-do-not-print' });
    const code = await run({ repo: 'acme/web', issue: '9', task: 'Fix it', dryRun: true }, d);
    expect(code).toBe(0);
    const ws = join(d.state, 'workspace', 'acme', 'web', 'task-9');
    const lines = d.io.stdout.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      'Dry run: the workspace is ready; no agent was started.',
      '',
      `Workspace  ${ws}`,
      `Repo       acme/web (${forge.url}/acme/web.git)`,
      expect.stringMatching(/^Checkout {3}branch agent\/issue-9 at [0-9a-f]{12}, base main$/),
      'Agent      codex (pool codex, podman container localhost/agent:1)',
      expect.stringMatching(new RegExp(`^Prompt {5}${ws}/inbox/prompt\\.md \\(\\d+ bytes, template coding\\)$`)),
      'Env        OPENAI_API_KEY  not set: CODEX_API_KEY',
    ]);
    const command = d.io.stdout.split('--- command ---\n')[1] as string;
    expect(command).toBe(
      `podman run --detach --rm --name agentctl-acme-web-task-9 --label dev.agentctl.workspace=${ws} --label dev.agentctl.agent=codex --label dev.agentctl.repo=acme/web ` +
        `--volume ${ws}/repo:/workspace/repo --volume ${ws}/outbox:/workspace/outbox --volume ${ws}/inbox:/workspace/inbox:ro --workdir /workspace/repo --user 1000:1000 ${HARDENING} --env TERM=dumb --env NO_COLOR=1 --env CI=true --env HOME=/home/agent ` +
        '--env GIT_AUTHOR_NAME=agentctl --env GIT_AUTHOR_EMAIL=agentctl@localhost --env GIT_COMMITTER_NAME=agentctl --env GIT_COMMITTER_EMAIL=agentctl@localhost ' +
        // Podman names the host itself: no --add-host, which its API would take literally.
        '--env AGENTCTL_HOST_GATEWAY=host.containers.internal --env OPENAI_API_KEY localhost/agent:1 env AGENTCTL_LOG=/workspace/outbox/agent-codex.log AGENTCTL_STDIN=/dev/null ' +
        `AGENTCTL_EXIT=/workspace/outbox/exit-code sh -c '${CONTAINER_SCRIPT}' agentctl-run codex exec --json --dangerously-bypass-approvals-and-sandbox -- "$(cat ${ws}/inbox/prompt.md)"\n`,
    );
    expect(d.io.stdout).not.toContain('sk-do-not-print');
    expect(d.io.stdout).not.toContain('\u001b[');
    expect(d.io.stderr).toBe('');
  });

  it('colours the preview on a terminal unless NO_COLOR is set', async () => {
    const tty = deps({}, true);
    await run({ repo: 'acme/web', issue: '10', task: 'x', dryRun: true }, tty);
    expect(tty.io.stdout).toContain('\u001b[33mDry run\u001b[39m');
    const noColor = deps({ NO_COLOR: '1' }, true);
    await run({ repo: 'acme/web', issue: '10', task: 'x', dryRun: true }, noColor);
    expect(noColor.io.stdout).not.toContain('\u001b[');
  });

  it('gives one JSON object with the prompt saved in .meta and the argv as an array', async () => {
    const d = deps();
    await run({ repo: 'acme/web', pr: undefined, branch: 'main', task: 'Tidy up', agent: 'claude:opus', persona: 'security-reviewer', planTemplate: 'refactor', var: ['extra=1'], dryRun: true, json: true }, d);
    const out = JSON.parse(d.io.stdout);
    expect(out.workspace).toBe(join(d.state, 'workspace', 'acme', 'web', 'main'));
    expect(out.agent).toBe('claude:opus');
    expect(out.persona).toBe('security-reviewer');
    expect(out.planTemplate).toBe('refactor');
    expect(out.sessionId).toBe('00000000-0000-4000-8000-000000000001');
    expect(out.command).toEqual([
      'claude', '-p', out.prompt, '--output-format', 'stream-json', '--verbose', '--dangerously-skip-permissions',
      '--append-system-prompt', expect.stringContaining('agentctl sandbox'), '--model', 'opus', '--session-id', out.sessionId,
    ]);
    // claude runs in a container like every agent, unless the config opts it into the host.
    expect(out.run.kind).toBe('container');
    expect(readFileSync(out.promptPath, 'utf8')).toBe(out.prompt);
    expect(out.prompt.indexOf('## Persona')).toBeLessThan(out.prompt.indexOf('## Plan'));
  });

  it('a host agent is an explicit opt-in, warned about on stderr and in --json', async () => {
    const d = deps({}, false, 'agents:\n  claude:\n    host: true\n');
    await run({ repo: 'acme/web', issue: '4', agent: 'claude', task: 'x', dryRun: true, json: true }, d);
    const out = JSON.parse(d.io.stdout);
    const warning = 'agent claude runs on the host (agents.claude.host), outside any container: it can read and change everything your user can';
    expect(out.run.kind).toBe('host');
    expect(out.warnings).toEqual([warning]);
    expect(d.io.stderr).toBe(`warning: ${warning}\n`);
  });

  it.each<[string, string[]]>([
    ['claude', ['--max-budget-usd', '2.5']],
    ['claude:opus', ['--max-budget-usd', '2.5']],
    // codex and gemini take no budget flag: agentctl keeps the limit in the job instead.
    ['codex', []],
    ['gemini', []],
  ])('--max-budget-usd 2.5 with %s puts %j on its command line', async (agent, flag) => {
    const d = deps();
    await run({ repo: 'acme/web', issue: '3', agent, maxBudgetUsd: '2.5', dryRun: true, json: true }, d);
    const out = JSON.parse(d.io.stdout) as { command: string[] };
    if (flag.length === 0) expect(out.command).not.toContain('--max-budget-usd');
    else expect(out.command.slice(-2)).toEqual(flag);
  });

  it.each([['0'], ['-1'], ['lots']])('refuses --max-budget-usd %s', async (budget) => {
    const d = deps();
    const error = (await run({ repo: 'acme/web', issue: '3', agent: 'claude', maxBudgetUsd: budget, dryRun: true }, d).catch((e: unknown) => e)) as AgentctlError;
    expect(error).toBeInstanceOf(AgentctlError);
    expect(error.code).toBe('invalid_option');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^dispatch: --max-budget-usd /);
    expect(existsSync(join(d.state, 'workspace'))).toBe(false);
  });

  it('refuses an unknown persona, listing the ones that exist', async () => {
    const d = deps();
    const error = (await run({ repo: 'acme/web', issue: '1', persona: 'pirate', dryRun: true }, d).catch((e: unknown) => e)) as AgentctlError;
    expect(error.message).toBe('unknown persona "pirate"');
    expect(error.hint).toMatch(/^available: docs-writer, security-reviewer, senior-engineer, test-engineer;/);
    expect(error.exitCode).toBe(2);
  });
});

describe('dispatch --dry-run: the engine a real run would use', () => {
  const runtimeOf = (out: Record<string, any>) => out.run.runtime as string;

  it('with Docker preferred but down and Podman up, previews Podman and warns of the fallback, as a real run would', async () => {
    const d = deps({}, false, '', [engine('docker', false), engine('podman')]);
    d.writeUserConfig(`defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  prefer: docker\n  image: localhost/agent:1\n`);
    expect(await run({ repo: 'acme/web', issue: '20', task: 'x', dryRun: true, json: true }, d)).toBe(0);
    const out = JSON.parse(d.io.stdout);
    const warning = 'runtime docker is not available (connect ENOENT /run/docker.sock); using podman instead';
    expect(runtimeOf(out)).toBe('podman');
    expect(out.run.argv[0]).toBe('podman');
    expect(out.engine).toEqual({ runtime: 'podman', warning, realRunFails: null });
    expect(d.io.stderr).toBe(`warning: ${warning}\n`);
  });

  it('with no engine at all, still previews, and says on stderr and in --json that a real run would fail, and why', async () => {
    const d = deps({}, false, '', [engine('docker', false), engine('podman', false)]);
    expect(await run({ repo: 'acme/web', issue: '21', task: 'x', dryRun: true, json: true }, d)).toBe(0);
    const out = JSON.parse(d.io.stdout);
    // The preferred engine (podman, from the config) is the one shown.
    expect(runtimeOf(out)).toBe('podman');
    expect(out.prompt).toContain('x');
    expect(out.engine.realRunFails).toEqual({
      code: 'no_runtime',
      reason: 'no container runtime is available (tried docker at unix:///run/docker.sock: connect ENOENT /run/docker.sock; podman at unix:///run/podman.sock: connect ENOENT /run/podman.sock)',
      hint: expect.stringContaining('start Docker'),
    });
    expect(d.io.stderr).toMatch(/^warning: a real run would fail: no container runtime is available \(tried docker .*\) \(start Docker .*\)\n$/);
  });

  it('with the image missing from the engine, previews and says a real run would fail', async () => {
    const d = deps({}, false, '', [engine('docker'), engine('podman', true, 'localhost/other:1')]);
    expect(await run({ repo: 'acme/web', issue: '22', task: 'x', dryRun: true, json: true }, d)).toBe(0);
    const out = JSON.parse(d.io.stdout);
    expect(out.engine).toMatchObject({ runtime: 'podman', warning: null, realRunFails: { code: 'image_missing', reason: 'image localhost/agent:1 is not present in podman' } });
    expect(d.io.stderr).toContain('warning: a real run would fail: image localhost/agent:1 is not present in podman');
  });

  it('refuses --runtime apple on Linux with a hint, leaving nothing behind', async () => {
    const d = deps();
    const error = (await run({ repo: 'acme/web', issue: '23', task: 'x', runtime: 'apple', dryRun: true }, d).catch((e: unknown) => e)) as AgentctlError;
    expect(error).toBeInstanceOf(AgentctlError);
    expect(error.code).toBe('runtime_unsupported');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toMatch(/--runtime docker, podman or auto/);
    expect(existsSync(join(d.state, 'workspace'))).toBe(false);
    expect(existsSync(join(d.state, 'cache'))).toBe(false);
  });

  it.each<[RuntimeName, string]>([
    ['docker', 'http://host.docker.internal:11434/v1'],
    ['podman', 'http://host.containers.internal:11434/v1'],
  ])('local on %s reaches Ollama at %s, shown as a real run would set it', async (runtime, url) => {
    const d = deps();
    expect(await run({ repo: 'acme/web', issue: '24', agent: 'local', task: 'x', runtime, dryRun: true, json: true }, d)).toBe(0);
    const argv = JSON.parse(d.io.stdout).run.argv as string[];
    expect(argv[0]).toBe(runtime);
    expect(argv).toContain(`CODEX_OSS_BASE_URL=${url}`);
    expect(argv.includes('--add-host')).toBe(runtime === 'docker');
  });

  it.each<[RuntimeName, string[]]>([
    ['docker', ['--gpus=all']],
    ['podman', ['--device', 'nvidia.com/gpu=all']],
  ])('--gpu on %s shows %j', async (runtime, flags) => {
    const d = deps();
    expect(await run({ repo: 'acme/web', issue: '25', task: 'x', runtime, gpu: true, dryRun: true, json: true }, d)).toBe(0);
    const argv = (JSON.parse(d.io.stdout).run.argv as string[]).join(' ');
    expect(argv).toContain(` ${flags.join(' ')} localhost/agent:1 `);
  });
});
