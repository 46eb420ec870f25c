import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN, runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Links an agent plants where the host reads or writes (BLOCKED.md, its log,
 * its exit code, ANSWER.md) are never followed, and a huge BLOCKED.md is read
 * only up to its bound.
 */
const VICTIMS = makeTempDir('hostile-victims');
const VICTIM = join(VICTIMS, 'victim.txt');
const VICTIM_TEXT = '0\nVICTIM-SECRET-TEXT\n';
const MARKER = join(VICTIMS, 'qa-ran-on-host');
/** Every place an agentctl version has put the log, the exit code and the events in the agent's reach. */
const OUTS = '/workspace/.meta /workspace/outbox';

const AGENTS = `agents:
  blocked-link:
    command: [sh, -c, 'ln -s ${VICTIM} BLOCKED.md']
  outbox-links:
    command: [sh, -c, 'for d in ${OUTS}; do [ -d $d ] || continue; rm -f $d/agent-outbox-links.log $d/events.jsonl; ln -s ${VICTIM} $d/agent-outbox-links.log; ln -s ${VICTIM} $d/events.jsonl; ln -s ${VICTIM} $d/exit-code; mkdir -p $d/exit-code.tmp; done; sleep 2; exit 5']
  answer-link:
    command: [sh, -c, 'if [ -e .planted ]; then sleep 30; exit 0; fi; touch .planted; rm -f ANSWER.md /workspace/ANSWER.md; ln -s ${VICTIM} ANSWER.md; ln -s ${VICTIM} /workspace/ANSWER.md; echo "Which one?" > BLOCKED.md']
  huge-blocked:
    command: [sh, -c, 'truncate -s 400M BLOCKED.md']
  noop:
    native: true
    command: ['true']
`;

let forge: Forge;
const engines = await testEngines({ ssh: true });

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'links', { 'README.md': '# links\n' });
  forge.createRepo('acme', 'qa-mark', {
    'package.json': JSON.stringify({ name: 'qa-mark', private: true, scripts: { test: `mkdir -p ${dirname(MARKER)} && touch ${MARKER}` } }),
  });
});
afterAll(() => {
  forge.cleanup();
  rmSync(VICTIMS, { recursive: true, force: true });
});

describe.each(engines)('planted links on a real $label engine', (engine) => {
  if (!requireEngine(engine)) return;

  function env(): { env: Record<string, string>; state: string } {
    writeFileSync(VICTIM, VICTIM_TEXT);
    const home = makeTempDir(`links-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n${engine.runtimeYaml}  prefer: ${engine.name}\n  image: ${TEST_IMAGE}\n${AGENTS}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state };
  }

  function dispatch(e: Record<string, string>, repo: string, agent: string, issue: string) {
    const result = runCli(['dispatch', '--repo', repo, '--issue', issue, '--agent', agent, '--runtime', engine.name, '--wait', '--json'], e);
    return { ...result, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }

  function hostSawVictim(state: string, e: Record<string, string>, ws: string): boolean {
    const seen = [runCli(['status', ws, '--json'], e).stdout, runCli(['events', '--json'], e).stdout, readFileSync(join(ws, '.meta', 'status.json'), 'utf8')];
    return seen.some((text) => text.includes('VICTIM-SECRET-TEXT')) || !existsSync(state);
  }

  it('BLOCKED.md linked to a host file: the run is blocked, and the file is not read', () => {
    const { env: e, state } = env();
    const result = dispatch(e, 'acme/links', 'blocked-link', '1');
    expect(result.status?.state).toBe('blocked');
    expect(result.stdout).not.toContain('VICTIM-SECRET-TEXT');
    expect(hostSawVictim(state, e, join(state, 'workspace', 'acme', 'links', 'task-1'))).toBe(false);
  });

  it('log, events and exit code linked to a host file: the victim is unchanged and not read, and the run fails honestly', () => {
    const { env: e, state } = env();
    const result = dispatch(e, 'acme/links', 'outbox-links', '2');
    expect(result.status?.state).toBe('failed');
    expect(readFileSync(VICTIM, 'utf8')).toBe(VICTIM_TEXT);
    expect(hostSawVictim(state, e, join(state, 'workspace', 'acme', 'links', 'task-2'))).toBe(false);
    const logs = runCli(['logs', join(state, 'workspace', 'acme', 'links', 'task-2')], e);
    expect(logs.stdout).not.toContain('VICTIM-SECRET-TEXT');
  });

  it('ANSWER.md linked to a host file: answer replaces the link and leaves the victim alone', () => {
    const { env: e, state } = env();
    expect(dispatch(e, 'acme/links', 'answer-link', '3').status?.state).toBe('blocked');
    const ws = join(state, 'workspace', 'acme', 'links', 'task-3');
    const answered = runCli(['answer', ws, 'the first one'], e);
    expect(answered.code).toBe(0);
    expect(readFileSync(VICTIM, 'utf8')).toBe(VICTIM_TEXT);
    const answer = join(ws, 'repo', 'ANSWER.md');
    expect(lstatSync(answer).isFile()).toBe(true);
    expect(readFileSync(answer, 'utf8')).toContain('the first one');
    runCli(['cancel', ws], e);
  });

  it('a 400 MB BLOCKED.md: blocked with a truncated question, and agentctl stays small', () => {
    const { env: e, state } = env();
    const rssFile = join(state, '..', 'rss');
    const preload = join(state, '..', 'rss.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
    const child = spawnSync(process.execPath, ['--require', preload, BIN, 'dispatch', '--repo', 'acme/links', '--issue', '4', '--agent', 'huge-blocked', '--runtime', engine.name, '--wait', '--json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...e },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const status = JSON.parse(child.stdout) as Record<string, any>;
    expect(status.state).toBe('blocked');
    expect(status.question).toMatch(/truncated/);
    expect(status.question.length).toBeLessThan(70 * 1024);
    // maxRSS is in KiB.
    expect(Number(readFileSync(rssFile, 'utf8'))).toBeLessThan(250 * 1024);
  });

  it('QA after a host agent runs in a container: a test script that marks the host path marks only the container', () => {
    const { env: e } = env();
    const result = runCli(['dispatch', '--repo', 'acme/qa-mark', '--issue', '5', '--agent', 'noop', '--wait', '--json'], e);
    const status = JSON.parse(result.stdout) as Record<string, any>;
    expect(status.runtime).toBe('host');
    expect(status.qa?.state).toBe('passed');
    expect(existsSync(MARKER)).toBe(false);
  });
});
