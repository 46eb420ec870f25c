/**
 * The container is the boundary between an untrusted agent and the host. A
 * scripted agent (a probe script the repository ships, run by a custom agent
 * in the test image) reports from inside what it could do; each test asserts
 * the wall held and the run still ended honestly. Real Docker and Podman.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCli } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/**
 * Written to repo/report.txt, one key=value a line. Only shell builtins after
 * the fork bomb: once the pids limit is reached, nothing can fork.
 */
const PROBE = `{
grep -E '^(CapEff|CapBnd|NoNewPrivs):' /proc/self/status | tr -d ' \\t' | sed 's/:/=/'
if touch /rootfs-marker 2>/dev/null || touch /etc/rootfs-marker 2>/dev/null; then echo rootfs=writable; else echo rootfs=readonly; fi
if touch /tmp/t && touch "$HOME/t"; then echo scratch=writable; else echo scratch=readonly; fi
echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"
echo "net=$(ls /sys/class/net | tr '\\n' ' ')"
} > report.txt 2>&1
( i=0; while [ $i -lt 5000 ]; do sleep 30 & i=$((i+1)); echo $i > /tmp/started; done ) 2>/dev/null
read started < /tmp/started
echo "started=$started" >> report.txt
killall sleep 2>/dev/null
exit 0
`;

/** The repo's setup runs in the agent's container after the wrapper has copied its credentials into HOME. */
const LOOK_AROUND =
  'for f in "$HOME"/.claude/canary "$HOME"/.codex/canary "$HOME"/.gemini/canary /agentctl/credentials/.[!.]*/canary; do [ -r "$f" ] && echo "$f=$(cat "$f")"; done > seen.txt; ' +
  'cat /agentctl/credentials/.[!.]*/projects/x/y.jsonl "$HOME"/.*/projects/x/y.jsonl >> seen.txt 2>/dev/null; exit 1';

/** Another project's session transcript, in a subdirectory of the credential directory. */
const TRANSCRIPT = (dir: string) => `transcript-${dir.slice(1)}-${process.pid}`;

const CANARY = (dir: string) => `canary-${dir.slice(1)}-${process.pid}`;

let forge: Forge;
const engines = await testEngines({ ssh: true });

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'probe', { 'README.md': '# probe\n', 'probe.sh': PROBE });
});
afterAll(() => forge.cleanup());

function report(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]),
  );
}

describe.each(engines)('a hostile agent in a $label container', (engine) => {
  if (!requireEngine(engine)) return;

  function setup(extra = ''): { env: Record<string, string>; state: string; home: string } {
    const home = makeTempDir(`hostile-container-${engine.name}`);
    mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'agentctl', 'config.yaml'),
      `defaults:\n  forge: f\nforges:\n  f:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n${engine.runtimeYaml}  image: ${TEST_IMAGE}\n` +
        `agents:\n  probe:\n    command: [sh, probe.sh]\n  offline:\n    command: [sh, probe.sh]\n    network: none\n${extra}`,
    );
    const state = join(home, 'state');
    return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, [engine.hostVar]: engine.url, CI: 'true' }, state, home };
  }

  function dispatch(e: Record<string, string>, agent: string, issue: string): { code: number; status: Record<string, any> | undefined; stderr: string } {
    const result = runCli(['dispatch', '--repo', 'acme/probe', '--issue', issue, '--agent', agent, '--runtime', engine.name, '--wait', '--json'], e);
    return { code: result.code, stderr: result.stderr, status: result.stdout === '' ? undefined : (JSON.parse(result.stdout) as Record<string, any>) };
  }

  const repoOf = (state: string, issue: string) => join(state, 'workspace', 'acme', 'probe', `task-${issue}`, 'repo');

  it('has no capabilities, cannot gain any, cannot change its root file system, and is held by the pids and memory limits', () => {
    const { env, state } = setup();
    const result = dispatch(env, 'probe', '1');
    expect(result.status?.state, result.stderr).toBe('completed');
    const seen = report(join(repoOf(state, '1'), 'report.txt'));
    // Not even in the bounding set, and no setuid binary can bring any back.
    expect(seen.CapEff).toBe('0000000000000000');
    expect(seen.CapBnd).toBe('0000000000000000');
    expect(seen.NoNewPrivs).toBe('1');
    expect(seen.rootfs).toBe('readonly');
    // The CLIs still have somewhere to write: /tmp and HOME are tmpfs.
    expect(seen.scratch).toBe('writable');
    expect(seen.memory).toBe(String(4 * 1024 ** 3));
    // The default pids limit (2048) stopped the fork bomb well short of its 5000 sleeps.
    expect(Number(seen.started)).toBeGreaterThan(0);
    expect(Number(seen.started)).toBeLessThan(2048);
    // The default network is the engine's bridge.
    expect(seen.net).toMatch(/\beth0\b/);
  });

  it('with network none sees no interface but loopback', () => {
    const { env, state } = setup();
    const result = dispatch(env, 'offline', '2');
    expect(result.status?.state, result.stderr).toBe('completed');
    expect(report(join(repoOf(state, '2'), 'report.txt')).net).toBe('lo');
  });

  it.each([
    ['codex', '.codex'],
    ['claude', '.claude'],
  ])('%s sees only its own credential files, not the transcripts beside them, and writes nothing back', (agent, own) => {
    const repoSetup = `repos:\n  acme/probe:\n    setup: '${LOOK_AROUND}'\n`;
    const { env, state, home } = setup(repoSetup);
    for (const dir of ['.claude', '.codex', '.gemini']) {
      mkdirSync(join(home, dir));
      writeFileSync(join(home, dir, 'canary'), CANARY(dir));
      mkdirSync(join(home, dir, 'projects', 'x'), { recursive: true });
      writeFileSync(join(home, dir, 'projects', 'x', 'y.jsonl'), `{"message":"${TRANSCRIPT(dir)}"}\n`, { mode: 0o644 });
    }
    const result = dispatch(env, agent, '3');
    // The setup exits 1, so the agent never starts: an honest failure, not a crash.
    expect(result.status?.state, result.stderr).toBe('failed');
    const seen = readFileSync(join(repoOf(state, '3'), 'seen.txt'), 'utf8');
    // A remote engine gets no credential files at all (only the variables named for the agent), so none of them.
    if (engine.runtimeYaml === '') expect(seen).toContain(`/home/agent/${own}/canary=${CANARY(own)}`);
    else expect(seen).not.toContain(CANARY(own));
    for (const other of ['.claude', '.codex', '.gemini'].filter((dir) => dir !== own)) expect(seen).not.toContain(CANARY(other));
    for (const dir of ['.claude', '.codex', '.gemini']) expect(seen).not.toContain(TRANSCRIPT(dir));
    expect(readFileSync(join(home, own, 'canary'), 'utf8')).toBe(CANARY(own));
    expect(existsSync(join(home, own, 'seen.txt'))).toBe(false);
  });
});
