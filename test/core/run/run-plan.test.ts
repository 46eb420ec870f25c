import { describe, expect, it } from 'vitest';
import type { ContainerSpec } from '../../../src/core/container/container-spec.js';
import { planImage, planRuntime, withAgentArgv, type RunPlan } from '../../../src/core/run/run-plan.js';
import { replaceAgentArgv, wrapContainerArgv, wrapHostArgv } from '../../../src/core/run/wrap-argv.js';

const containerArgv = wrapContainerArgv(['claude', '-p', 'the task'], {
  log: '/workspace/outbox/agent-claude.log',
  stdin: '/workspace/inbox/prompt.md',
  exitCode: '/workspace/outbox/exit-code',
  setup: 'npm ci',
  credentials: '/agentctl/credentials/.claude',
});
const hostArgv = wrapHostArgv(['claude', '-p', 'the task'], { log: '/ws/outbox/agent-claude.log', stdin: undefined, exitCode: '/ws/outbox/exit-code', pid: '/ws/.meta/pid' });

describe('replacing the agent argv of a wrapped command (resume, answer)', () => {
  it.each([
    ['keeps stdin', true, 'AGENTCTL_STDIN=/workspace/inbox/prompt.md'],
    ['drops stdin', false, 'AGENTCTL_STDIN=/dev/null'],
  ])('%s, and keeps the setup, the credentials and the wrapper script', (_name, stdin, stdinArg) => {
    const replaced = replaceAgentArgv(containerArgv, ['claude', '--resume', 's1', '-p', 'go on'], { stdin });
    expect(replaced.slice(-5)).toEqual(['claude', '--resume', 's1', '-p', 'go on']);
    expect(replaced).toContain(stdinArg);
    expect(replaced).toContain('AGENTCTL_SETUP=npm ci');
    expect(replaced).toContain('AGENTCTL_CREDENTIALS=/agentctl/credentials/.claude');
    expect(replaced.slice(0, -5)).toEqual(containerArgv.slice(0, -3).map((arg) => (arg.startsWith('AGENTCTL_STDIN=') ? stdinArg : arg)));
  });

  it('refuses a command agentctl did not wrap', () => {
    expect(() => replaceAgentArgv(['claude', '-p', 'x'], ['claude'], { stdin: true })).toThrow('not a command agentctl wrapped');
  });
});

describe('run plans', () => {
  const host: RunPlan = { kind: 'host', cwd: '/ws/repo', argv: hostArgv, env: [] };
  it.each<[string, RunPlan, string, string | undefined]>([
    ['host', host, 'host', undefined],
    ['container', { kind: 'container', runtime: 'podman', spec: { image: 'localhost/agent:1' } as ContainerSpec, argv: [] }, 'podman', 'localhost/agent:1'],
  ])('a %s plan runs on %s', (_name, plan, runtime, image) => {
    expect(planRuntime(plan)).toBe(runtime);
    expect(planImage(plan)).toBe(image);
  });

  it("withAgentArgv changes only the host plan's agent argv", () => {
    const next = withAgentArgv(host, ['claude', '--resume', 's1'], { stdin: false });
    expect(next).toEqual({ ...host, argv: [...hostArgv.slice(0, -3), 'claude', '--resume', 's1'] });
  });
});
