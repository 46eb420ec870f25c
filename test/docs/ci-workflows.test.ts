import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../support/run-cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}

interface Workflow {
  on: { pull_request: { types: string[] } };
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
}

/** Every agentctl command line in a workflow, as argv (quotes and ${{ }} kept as single words). */
function agentctlCommands(workflow: Workflow): string[][] {
  const commands: string[][] = [];
  for (const job of Object.values(workflow.jobs)) {
    for (const step of job.steps) {
      for (const line of (step.run ?? '').split('\n')) {
        const words = line.trim().match(/"[^"]*"|\S+/g) ?? [];
        if (words[0] === 'agentctl') commands.push(words.slice(1));
      }
    }
  }
  return commands;
}

function helpFor(command: string): string {
  const result = runCli([command, '--help'], { HOME: '/nonexistent' });
  expect(result.code).toBe(0);
  return result.stdout;
}

describe.each(['github-actions.yml', 'forgejo-actions.yml'])('docs/ci/%s', (file) => {
  const text = readFileSync(`${root}docs/ci/${file}`, 'utf8');
  const workflow = parse(text) as Workflow;

  it('is valid YAML that reviews pull requests', () => {
    expect(workflow.on.pull_request.types).toEqual(['opened', 'synchronize', 'reopened']);
    expect(Object.keys(workflow.jobs)).toEqual(['review']);
    expect(workflow.jobs.review?.['runs-on']).toBeTruthy();
  });

  it('dispatches a review agent with flags the CLI has, gated on the exit code', () => {
    const commands = agentctlCommands(workflow);
    const dispatch = commands.find((argv) => argv[0] === 'dispatch');
    expect(dispatch).toBeDefined();
    for (const flag of ['--pr', '--agent', '--wait', '--json', '--comment']) expect(dispatch).toContain(flag);
    expect(dispatch?.[dispatch.indexOf('--agent') + 1]).toBe('codex:review');
    for (const argv of commands) {
      const help = helpFor(argv[0] as string);
      for (const flag of argv.filter((word) => word.startsWith('--'))) expect(help, `${argv[0]} ${flag}`).toContain(`${flag}`);
    }
  });

  it('passes secrets to the step by variable name and names them in the forge config', () => {
    const review = workflow.jobs.review?.steps.find((step) => step.run?.includes('agentctl dispatch'));
    expect(Object.keys(review?.env ?? {}).sort()).toEqual(file.startsWith('github') ? ['CODEX_API_KEY', 'GITHUB_TOKEN'] : ['CODEX_API_KEY', 'FORGEJO_TOKEN']);
    for (const value of Object.values(review?.env ?? {})) expect(value).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    const configStep = workflow.jobs.review?.steps.find((step) => step.run?.includes('config.yaml'));
    const yaml = (configStep?.run ?? '').split('\n').slice(2, -2).join('\n');
    const config = parse(yaml) as { forges: Record<string, { token_env: string }> };
    expect(Object.values(config.forges)[0]?.token_env).toBe(file.startsWith('github') ? 'GITHUB_TOKEN' : 'FORGEJO_TOKEN');
  });
});
