/**
 * A forge that cannot be reached: a dispatch whose only task is the issue's
 * or PR's text is refused (exit 6) before it costs a run, and leaves nothing
 * behind; one with --task goes on with a warning. The fake Forgejo runs on
 * 127.0.0.1 in this process; the agent runs on the host, so no engine is needed.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fakeForgejo from '../support/fake-forgejo.js';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { runCliAsync } from '../support/run-cli-async.js';

const TOKEN = 'forge-down-token';

let forge: Forge;
let failing: fakeForgejo.FakeForgejo;
let closedApi: string;
const homes: string[] = [];

beforeAll(async () => {
  forge = makeForge();
  forge.createRepo('acme', 'x', { 'README.md': '# x\n' });
  failing = await fakeForgejo.start();
  failing.state.token = TOKEN;
  failing.state.repo('acme/x').issues.push({ number: 1, title: 'Login', body: 'It loops.', labels: [], comments: [] });
  // A forge that was there and is gone: its port now refuses connections.
  const gone = await fakeForgejo.start();
  closedApi = `${gone.url}/api/v1`;
  await gone.close();
});

afterAll(async () => {
  await failing?.close();
  forge?.cleanup();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function makeHome(api: string): { env: Record<string, string>; state: string } {
  const home = makeTempDir('forge-down');
  homes.push(home);
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: fj
  agent: editor
forges:
  fj:
    kind: forgejo
    url: ${forge.url}
    api_url: ${api}
    token_env: FJ_TOKEN
agents:
  editor:
    native: true
    command: [sh, -c, 'echo edited >> CHANGES.md']
qa:
  enabled: false
`,
  );
  const state = join(home, 'state');
  return { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, FJ_TOKEN: TOKEN }, state };
}

/** Every entry under dir, as paths relative to it. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const down = [
  { name: 'answering 500', api: () => `${failing.url}/api/v1`, before: () => failing.failNext(500, 50) },
  { name: 'on a closed port', api: () => closedApi, before: () => undefined },
];

describe.each(down)('a forge $name', ({ api, before }) => {
  it.each([
    ['--issue', '1', 'issue #1'],
    ['--pr', '7', 'pull request #7'],
  ])('%s without --task: refused with exit 6, nothing left behind', async (flag, number, what) => {
    const h = makeHome(api());
    before();
    const result = await runCliAsync(['dispatch', '--repo', 'acme/x', flag, number, '--wait'], h.env);
    expect(result.code, result.stderr).toBe(6);
    expect(result.stderr).toContain(`agentctl: no text for ${what} from forge fj, and no --task`);
    expect(result.stderr).toContain(`hint: dispatch again once the forge answers, or give --task "…" to run without the ${flag === '--pr' ? 'pull request' : 'issue'}'s text`);
    expect(result.stderr).not.toContain(TOKEN);
    expect(tree(join(h.state, 'workspace'))).toEqual([]);
    expect(tree(join(h.state, 'cache', 'mirrors'))).toEqual([]);
    expect(existsSync(join(h.state, 'events.jsonl'))).toBe(false);
  });

  it('--issue with a mirror already there: refused, and no workspace or temporary directory is left', async () => {
    const h = makeHome(api());
    const first = await runCliAsync(['dispatch', '--repo', 'acme/x', '--branch', 'work', '--task', 'warm the mirror', '--dry-run'], h.env);
    expect(first.code, first.stderr).toBe(0);
    const before_ = tree(join(h.state, 'workspace'));
    before();
    const result = await runCliAsync(['dispatch', '--repo', 'acme/x', '--issue', '1'], h.env);
    expect(result.code, result.stderr).toBe(6);
    expect(tree(join(h.state, 'workspace'))).toEqual(before_);
  });

  it('--issue with --task: goes on, with a visible warning', async () => {
    const h = makeHome(api());
    before();
    const result = await runCliAsync(['dispatch', '--repo', 'acme/x', '--issue', '1', '--task', 'Fix the login loop.', '--dry-run', '--json'], h.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: no issue context from forge fj: /);
    expect(JSON.parse(result.stdout).prompt).toContain('Fix the login loop.');
  });
});
