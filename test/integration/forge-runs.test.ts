/**
 * Runs that report to a forge: the built binary against bare repos over
 * file:// (the git side) and the fake Forgejo and GitHub APIs on 127.0.0.1
 * (the API side), with native custom agents so no container engine is needed.
 *
 * The fakes live in this process, so the CLI is run with runCliAsync: a
 * spawnSync would block the event loop the fakes answer from.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as fakeForgejo from '../support/fake-forgejo.js';
import * as fakeGithub from '../support/fake-github.js';
import { git, makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import type { CliResult } from '../support/run-cli.js';
import { runCliAsync } from '../support/run-cli-async.js';
import { TEST_IMAGE, testEngines } from '../support/test-engines.js';

const FJ_TOKEN = 'secret-token';
const GH_TOKEN = 'secret-gh-token';
const SUMMARY = '<!-- agentctl:summary -->';
const REVIEW = '<!-- agentctl:review -->';
const QUESTION = '<!-- agentctl:question -->';
const RUNNING_LABEL = 'agentctl: running';
const BLOCKED_LABEL = 'agentctl: blocked';
const IDENTITY = { name: 'Agent Smith', email: 'agent.smith@example.test' };
/** The agents here run on the host, but QA never does: it runs in a container on the first engine that answers. */
const QA_ENGINE = (await testEngines()).find((engine) => engine.runtime !== undefined);

let forge: Forge;
let fj: fakeForgejo.FakeForgejo;
let gh: fakeGithub.FakeGitHub;
/** The commit refs/pull/7/head and refs/pull/9/head point at. */
let prHead: string;
let mainHead: string;

// --- fixtures ------------------------------------------------------------------------------

const passingPackage = JSON.stringify({ name: 'x', version: '1.0.0', private: true, scripts: { test: 'node -e "process.exit(0)"' } }, null, 2);
const failingPackage = JSON.stringify({ name: 'y', version: '1.0.0', private: true, scripts: { test: 'node -e "process.exit(1)"' } }, null, 2);

function bare(name: string): string {
  return join(forge.dir, 'acme', `${name}.git`);
}

/** The sha of a ref in a bare repo of the forge, or undefined when it does not exist. */
function refIn(name: string, ref: string): string | undefined {
  try {
    return git(bare(name), 'rev-parse', '--verify', '--quiet', ref);
  } catch {
    return undefined;
  }
}

function fjIssue(repo: string, number: number): fakeForgejo.FjIssue {
  const found = [...fj.state.repo(repo).issues, ...fj.state.repo(repo).pulls].find((i) => i.number === number);
  if (found === undefined) throw new Error(`no issue ${repo}#${number} on the fake Forgejo`);
  return found;
}

function ghIssue(repo: string, number: number): fakeGithub.GhIssue {
  const found = [...gh.state.repo(repo).issues, ...gh.state.repo(repo).pulls].find((i) => i.number === number);
  if (found === undefined) throw new Error(`no issue ${repo}#${number} on the fake GitHub`);
  return found;
}

function fjLabelId(repo: string, name: string): number | undefined {
  return fj.state.repo(repo).labels.find((l) => l.name === name)?.id;
}

function fjIssueLabels(repo: string, number: number): string[] {
  const labels = fj.state.repo(repo).labels;
  return fjIssue(repo, number).labels.map((id) => labels.find((l) => l.id === id)?.name ?? `#${id}`);
}

beforeAll(async () => {
  forge = makeForge();
  const work = forge.createRepo('acme', 'x', { 'README.md': '# x\n', 'package.json': passingPackage });
  forge.createRepo('acme', 'y', { 'README.md': '# y\n', 'package.json': failingPackage });
  mainHead = git(work, 'rev-parse', 'HEAD');
  // A PR head that is on no branch of the bare repo: only refs/pull/N/head reaches it.
  git(work, 'checkout', '--quiet', '-b', 'feature');
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'feature.ts'), 'export const feature = 1;\n');
  writeFileSync(join(work, 'README.md'), '# x\n\nNow with a feature.\n');
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '-m', 'Add the feature module');
  prHead = git(work, 'rev-parse', 'HEAD');
  git(work, 'push', '--quiet', 'origin', 'feature');
  git(bare('x'), 'update-ref', 'refs/pull/7/head', prHead);
  git(bare('x'), 'update-ref', 'refs/pull/9/head', prHead);
  git(bare('x'), 'update-ref', '-d', 'refs/heads/feature');
  git(work, 'checkout', '--quiet', 'main');

  fj = await fakeForgejo.start();
  fj.state.token = FJ_TOKEN;
  gh = await fakeGithub.start();
  gh.state.token = GH_TOKEN;
  seedForgejo(fj);
  const ghx = gh.state.repo('acme/x');
  ghx.issues.push({ number: 8, title: 'Tidy the changelog', body: 'The changelog needs an entry.', labels: ['docs'], comments: [] });
  ghx.pulls.push({
    number: 9,
    title: 'Add the feature module',
    body: 'Adds src/feature.ts.',
    labels: [],
    comments: [],
    head: { ref: 'feature', sha: prHead },
    base: { ref: 'main' },
    files: ['README.md', 'src/feature.ts'],
  });
});

/** acme/x and acme/y on a fake Forgejo; the issue numbers are the tests'. */
function seedForgejo(fake: fakeForgejo.FakeForgejo): void {
  const bug = fake.state.label('acme/x', 'bug');
  const auth = fake.state.label('acme/x', 'area/auth');
  const x = fake.state.repo('acme/x');
  x.issues.push({
    number: 1,
    title: 'Login redirect loops',
    body: 'After logging in, the app sends you back to /login forever.',
    labels: [bug, auth],
    comments: [
      { id: 101, body: 'I can reproduce this in Firefox 128.', user: 'bob', created_at: '2024-03-01T10:00:00Z' },
      { id: 102, body: 'Probably the cookie path: it is set on /api only.', user: 'carol', created_at: '2024-03-02T11:30:00Z' },
    ],
  });
  for (const [number, title] of [
    [2, 'Stopwatch for a completed run'],
    [3, 'Stopwatch for a failed run'],
    [4, 'Stopwatch after a crash'],
    [5, 'Pick a database'],
    [6, 'Add a CHANGES file'],
    [10, 'Forge down during a run'],
    [11, 'Blocked runs are not pushed'],
    [12, 'Forge hangs during a run'],
  ] as const) {
    x.issues.push({ number, title, body: `Body of issue ${number}.`, labels: [], comments: [] });
  }
  x.pulls.push({
    number: 7,
    title: 'Add the feature module',
    body: 'Adds src/feature.ts and mentions it in the README.',
    labels: [],
    comments: [],
    head: { ref: 'feature', sha: prHead },
    base: { ref: 'main' },
    files: ['README.md', 'src/feature.ts'],
  });
  fake.state.repo('acme/y').issues.push({ number: 1, title: 'Make the tests pass', body: 'They fail.', labels: [], comments: [] });
}

afterAll(async () => {
  await fj?.close();
  await gh?.close();
  forge?.cleanup();
});

// --- per-test homes ------------------------------------------------------------------------

/** These agents run on the host (no engine needed), an explicit opt-in that each run records as a warning. */
const onHost = (agent: string) => `agent ${agent} runs on the host (agents.${agent}.host), outside any container: it can read and change everything your user can`;

const AGENTS = `agents:
  editor:
    native: true
    command: [sh, -c, 'echo "edited by the agent" >> CHANGES.md']
  fails:
    native: true
    command: [sh, -c, 'echo "giving up" >&2; exit 3']
  asker:
    native: true
    command: [sh, -c, 'cp "$1" ../outbox/seen-prompt.md; if [ -f ANSWER.md ]; then cp ANSWER.md answer-seen.md; else echo "Which database should I use?" > BLOCKED.md; fi', sh, '{prompt_file}']
  reviewer:
    native: true
    command: [sh, -c, 'printf "## Summary\\nThe module has no tests.\\n\\nVERDICT: request-changes\\n" > ../outbox/review.md']
  approver:
    native: true
    command: [sh, -c, 'printf "## Summary\\nAll good now.\\n\\nVERDICT: approve\\n" > ../outbox/review.md']
  slowpoke:
    native: true
    command: [sh, -c, 'sleep 2; echo "edited late" >> CHANGES.md']
`;

interface Home {
  env: Record<string, string>;
  home: string;
  state: string;
  ws(repo: string, slot: string): string;
}

const homes: string[] = [];
const outputs: CliResult[] = [];

function makeHome(options: { forge?: 'fj' | 'gh'; qa?: boolean; fjApi?: string; extra?: string } = {}): Home {
  const home = makeTempDir('forge-runs');
  homes.push(home);
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:
  forge: ${options.forge ?? 'fj'}
forges:
  fj:
    kind: forgejo
    url: ${forge.url}
    api_url: ${options.fjApi ?? `${fj.url}/api/v1`}
    token_env: FJ_TOKEN
  gh:
    kind: github
    url: ${forge.url}
    api_url: ${gh.url}
    token_env: GH_TOKEN
${AGENTS}qa:
  enabled: ${options.qa ?? true}
runtime:
  prefer: ${QA_ENGINE?.name ?? 'auto'}
  image: ${TEST_IMAGE}
git:
  name: ${IDENTITY.name}
  email: ${IDENTITY.email}
${options.extra ?? ''}`,
  );
  const state = join(home, 'state');
  return {
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: state, FJ_TOKEN, GH_TOKEN, ...(QA_ENGINE === undefined ? {} : { [QA_ENGINE.hostVar]: QA_ENGINE.url }) },
    home,
    state,
    ws: (repo, slot) => join(state, 'workspace', repo, slot),
  };
}

async function cli(h: Home, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const result = await runCliAsync(args, { ...h.env, ...extraEnv });
  outputs.push(result);
  return result;
}

function calls(fake: { requests: { method: string; path: string }[] }): string[] {
  return fake.requests.map((r) => `${r.method} ${r.path}`);
}

function statusOf(ws: string): Record<string, unknown> & { warnings: string[] } {
  return JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8'));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Forgejo's calls for removing the blocked label: find it, and delete it only where the repo has one. */
function fjRemoveBlocked(repo: string, number: number, labelId: number | undefined): string[] {
  const list = `GET /api/v1/repos/${repo}/labels?page=1&limit=50`;
  return labelId === undefined ? [list] : [list, `DELETE /api/v1/repos/${repo}/issues/${number}/labels/${labelId}`];
}

beforeEach(() => {
  fj.requests.length = 0;
  gh.requests.length = 0;
  outputs.length = 0;
});

afterEach(() => {
  // Every API call carried the token; the token was never printed or written down.
  for (const r of fj.requests) expect(r.authorization).toBe(`token ${FJ_TOKEN}`);
  for (const r of gh.requests) expect(r.authorization).toMatch(new RegExp(`^(token|Bearer|bearer) ${GH_TOKEN}$`));
  for (const out of outputs) {
    expect(out.stdout).not.toContain(FJ_TOKEN);
    expect(out.stderr).not.toContain(FJ_TOKEN);
    expect(out.stdout).not.toContain(GH_TOKEN);
    expect(out.stderr).not.toContain(GH_TOKEN);
  }
  for (const home of homes.splice(0)) {
    const state = join(home, 'state');
    const leaks = existsSync(state)
      ? filesUnder(state).filter((file) => {
          if (statSync(file).size > 8 * 1024 * 1024) return false;
          const text = readFileSync(file).toString('latin1');
          return text.includes(FJ_TOKEN) || text.includes(GH_TOKEN);
        })
      : [];
    expect(leaks, 'files under AGENTCTL_HOME that hold a token').toEqual([]);
    rmSync(home, { recursive: true, force: true });
  }
});

// --- 1. context --------------------------------------------------------------------------------

describe('forge context in the prompt', () => {
  it('--issue: title, body, labels and recent comments', async () => {
    const h = makeHome();
    const result = await cli(h, ['dispatch', '--dry-run', '--json', '--repo', 'acme/x', '--issue', '1', '--agent', 'editor']);
    expect(result.code, result.stderr).toBe(0);
    const preview = JSON.parse(result.stdout);
    const context = [
      'Issue #1: Login redirect loops',
      'Labels: bug, area/auth',
      '',
      'After logging in, the app sends you back to /login forever.',
      '',
      'Recent comments (2, oldest first):',
      '',
      '--- bob at 2024-03-01T10:00:00Z:',
      'I can reproduce this in Firefox 128.',
      '',
      '--- carol at 2024-03-02T11:30:00Z:',
      'Probably the cookie path: it is set on /api only.',
    ].join('\n');
    expect(preview.prompt).toMatch(/<context-[0-9a-f]{32}>\n/);
    expect(preview.prompt).toContain(`>\n${context}\n</context-`);
    expect(preview.prompt).toContain('Resolve issue #1.');
    expect(preview.branch).toBe('agent/issue-1');
    expect(calls(fj).sort()).toEqual(['GET /api/v1/repos/acme/x/issues/1', 'GET /api/v1/repos/acme/x/issues/1/comments']);
    expect(calls(gh)).toEqual([]);
  });

  it('--pr: title, body, base/head and changed files, checked out at the head commit', async () => {
    const h = makeHome();
    const result = await cli(h, ['dispatch', '--dry-run', '--json', '--repo', 'acme/x', '--pr', '7', '--agent', 'editor']);
    expect(result.code, result.stderr).toBe(0);
    const preview = JSON.parse(result.stdout);
    const context = [
      'Pull request #7: Add the feature module',
      'Base: main  Head: feature',
      '',
      'Adds src/feature.ts and mentions it in the README.',
      '',
      'Changed files (2):',
      '- README.md',
      '- src/feature.ts',
    ].join('\n');
    expect(preview.prompt).toMatch(/<context-[0-9a-f]{32}>\n/);
    expect(preview.prompt).toContain(`>\n${context}\n</context-`);
    expect(preview).toMatchObject({ commit: prHead, branch: 'pr-7', base: 'main' });
    const repoDir = join(h.ws('acme/x', 'pr-7'), 'repo');
    expect(git(repoDir, 'rev-parse', 'HEAD')).toBe(prHead);
    expect(readFileSync(join(repoDir, 'src', 'feature.ts'), 'utf8')).toBe('export const feature = 1;\n');
    expect(calls(fj).sort()).toEqual(['GET /api/v1/repos/acme/x/pulls/7', 'GET /api/v1/repos/acme/x/pulls/7/files?page=1&limit=50']);
  });
});

// --- 2. Forgejo stopwatch ----------------------------------------------------------------------

describe('Forgejo stopwatch', () => {
  const context = (n: number) => [`GET /api/v1/repos/acme/x/issues/${n}`, `GET /api/v1/repos/acme/x/issues/${n}/comments`];

  it('starts when a run starts and stops when it completes', async () => {
    const h = makeHome();
    const blocked = fjLabelId('acme/x', BLOCKED_LABEL);
    const result = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '2', '--agent', 'editor', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: 'completed', qa: { state: 'passed' }, warnings: [onHost('editor')] });
    const log = calls(fj);
    expect(log.slice(0, 2).sort()).toEqual(context(2));
    expect(log.slice(2)).toEqual([
      'POST /api/v1/repos/acme/x/issues/2/stopwatch/start',
      'POST /api/v1/repos/acme/x/issues/2/stopwatch/stop',
      ...fjRemoveBlocked('acme/x', 2, blocked),
    ]);
    expect(fj.state.repo('acme/x').stopwatches.has(2)).toBe(false);
    expect(fj.state.repo('acme/x').trackedTimes.filter((n) => n === 2)).toHaveLength(1);
  });

  it('stops when the run fails', async () => {
    const h = makeHome();
    const blocked = fjLabelId('acme/x', BLOCKED_LABEL);
    const result = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '3', '--agent', 'fails', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(10);
    expect(JSON.parse(result.stdout)).toMatchObject({ state: 'failed', exitCode: 3, reason: 'agent exited with code 3' });
    const log = calls(fj);
    expect(log.slice(0, 2).sort()).toEqual(context(3));
    expect(log.slice(2)).toEqual([
      'POST /api/v1/repos/acme/x/issues/3/stopwatch/start',
      'POST /api/v1/repos/acme/x/issues/3/stopwatch/stop',
      ...fjRemoveBlocked('acme/x', 3, blocked),
    ]);
    expect(fj.state.repo('acme/x').stopwatches.has(3)).toBe(false);
  });

  it('is stopped exactly once by the status that finishes a run whose finisher was killed', async () => {
    const h = makeHome();
    const crashed = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '4', '--agent', 'editor', '--wait'], { AGENTCTL_FAULT: 'during-finish' });
    expect(crashed.code).toBe(-1);
    const stop = 'POST /api/v1/repos/acme/x/issues/4/stopwatch/stop';
    expect(calls(fj)).toContain('POST /api/v1/repos/acme/x/issues/4/stopwatch/start');
    expect(calls(fj)).not.toContain(stop);
    expect(fj.state.repo('acme/x').stopwatches.has(4)).toBe(true);
    const ws = h.ws('acme/x', 'task-4');
    expect(statusOf(ws).state).toBe('running');

    const status = await cli(h, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).runs).toMatchObject([{ state: 'completed', workspace: ws }]);
    const again = await cli(h, ['status', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(calls(fj).filter((c) => c === stop)).toHaveLength(1);
    expect(fj.state.repo('acme/x').stopwatches.has(4)).toBe(false);
    expect(fj.state.repo('acme/x').trackedTimes.filter((n) => n === 4)).toHaveLength(1);
  });
});

// --- 3. GitHub label and summary comment -------------------------------------------------------

describe('GitHub running label and summary comment', () => {
  it('labels the issue while it runs and keeps one summary comment across runs', async () => {
    const h = makeHome({ forge: 'gh' });
    const running = `/repos/acme/x/issues/8/labels/${encodeURIComponent(RUNNING_LABEL)}`;
    const blocked = `/repos/acme/x/issues/8/labels/${encodeURIComponent(BLOCKED_LABEL)}`;
    const comments = 'GET /repos/acme/x/issues/8/comments?per_page=100&page=1';

    const first = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '8', '--agent', 'editor', '--wait', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ state: 'completed', runCount: 1, warnings: [onHost('editor')] });
    let log = calls(gh);
    expect(log.slice(0, 2).sort()).toEqual(['GET /repos/acme/x/issues/8', comments]);
    expect(log.slice(2)).toEqual(['POST /repos/acme/x/issues/8/labels', `DELETE ${running}`, 'GET /user', comments, 'POST /repos/acme/x/issues/8/comments', `DELETE ${blocked}`]);
    expect(gh.requests[2]?.body).toEqual({ labels: [RUNNING_LABEL] });
    const issue = ghIssue('acme/x', 8);
    expect(issue.labels).toEqual(['docs']);
    expect(issue.comments).toHaveLength(1);
    const summary = issue.comments[0] as fakeGithub.GhComment;
    expect(summary.body).toContain(SUMMARY);
    expect(summary.body).toContain('**agentctl**: `editor` run 1 completed.');
    expect(summary.body).toContain('| agent | `editor` |');
    expect(summary.body).toContain('| outcome | completed |');
    expect(summary.body).toMatch(/\| elapsed \| (\d+m )?\d+s \|/);
    expect(summary.body).toContain('| QA | passed (`npm install --no-audit --no-fund`, `npm test`) |');

    gh.requests.length = 0;
    const second = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '8', '--agent', 'fails', '--wait', '--json']);
    expect(second.code, second.stderr).toBe(10);
    expect(JSON.parse(second.stdout)).toMatchObject({ state: 'failed', runCount: 2 });
    log = calls(gh);
    expect(log.slice(0, 2).sort()).toEqual(['GET /repos/acme/x/issues/8', comments]);
    expect(log.slice(2)).toEqual([
      'POST /repos/acme/x/issues/8/labels',
      `DELETE ${running}`,
      'GET /user',
      comments,
      `PATCH /repos/acme/x/issues/comments/${summary.id}`,
      `DELETE ${blocked}`,
    ]);
    expect(issue.comments.filter((c) => c.body.includes(SUMMARY))).toHaveLength(1);
    expect(issue.comments).toHaveLength(1);
    expect(issue.comments[0]?.body).toContain('**agentctl**: `fails` run 2 failed (agent exited with code 3).');
    expect(issue.comments[0]?.body).toContain('| QA | not run |');
    expect(issue.labels).toEqual(['docs']);
  });
});

// --- 4. blocked round trip ---------------------------------------------------------------------

describe('a blocked run answered from the forge', () => {
  it('asks on the issue, takes the reply as ANSWER.md and resumes', async () => {
    const h = makeHome();
    const existing = fjLabelId('acme/x', BLOCKED_LABEL);
    const ws = h.ws('acme/x', 'task-5');

    const asked = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '5', '--agent', 'asker', '--wait', '--json']);
    expect(asked.code, asked.stderr).toBe(11);
    expect(JSON.parse(asked.stdout)).toMatchObject({ state: 'blocked', question: 'Which database should I use?' });
    let log = calls(fj);
    expect(log.slice(0, 2).sort()).toEqual(['GET /api/v1/repos/acme/x/issues/5', 'GET /api/v1/repos/acme/x/issues/5/comments']);
    expect(log.slice(2)).toEqual([
      'POST /api/v1/repos/acme/x/issues/5/stopwatch/start',
      'POST /api/v1/repos/acme/x/issues/5/stopwatch/stop',
      'POST /api/v1/repos/acme/x/issues/5/comments',
      'GET /api/v1/repos/acme/x/labels?page=1&limit=50',
      ...(existing === undefined ? ['POST /api/v1/repos/acme/x/labels'] : []),
      'POST /api/v1/repos/acme/x/issues/5/labels',
    ]);
    const labelId = fjLabelId('acme/x', BLOCKED_LABEL) as number;
    expect(labelId).toBeDefined();
    expect(fj.requests.at(-1)?.body).toEqual({ labels: [labelId] });
    const issue = fjIssue('acme/x', 5);
    expect(fjIssueLabels('acme/x', 5)).toEqual([BLOCKED_LABEL]);
    expect(issue.comments).toHaveLength(1);
    expect(issue.comments[0]?.body).toContain(QUESTION);
    expect(issue.comments[0]?.body).toContain('> Which database should I use?');
    expect(issue.comments[0]?.body).toContain(`agentctl answer ${ws} --from-forge`);

    // A collaborator with write access answers on the issue.
    fj.state.collaborators.set('acme/x', new Map([['alice', 'write']]));
    issue.comments.push({ id: 555, body: 'Use PostgreSQL 16, please.\n', user: 'alice', created_at: new Date().toISOString() });
    fj.requests.length = 0;
    const answered = await cli(h, ['answer', ws, '--from-forge', '--wait', '--json']);
    expect(answered.code, answered.stderr).toBe(0);
    expect(JSON.parse(answered.stdout)).toMatchObject({ state: 'completed', runCount: 2, warnings: [onHost('asker')] });
    expect(calls(fj)).toEqual([
      'GET /api/v1/repos/acme/x/issues/5/comments',
      'GET /api/v1/user',
      'GET /api/v1/repos/acme/x/collaborators/alice/permission',
      'POST /api/v1/repos/acme/x/issues/5/stopwatch/start',
      'POST /api/v1/repos/acme/x/issues/5/stopwatch/stop',
      'GET /api/v1/repos/acme/x/labels?page=1&limit=50',
      `DELETE /api/v1/repos/acme/x/issues/5/labels/${labelId}`,
    ]);
    const answer = readFileSync(join(ws, 'repo', 'ANSWER.md'), 'utf8');
    expect(answer).toBe('# Question\n\nWhich database should I use?\n\n# Answer\n\nUse PostgreSQL 16, please.\n');
    // The agent saw the answer, as a file and in its prompt.
    expect(readFileSync(join(ws, 'repo', 'answer-seen.md'), 'utf8')).toBe(answer);
    expect(readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8')).toContain('## Your earlier question, answered');
    expect(readFileSync(join(ws, 'inbox', 'prompt.md'), 'utf8')).toContain('Use PostgreSQL 16, please.');
    expect(readFileSync(join(ws, 'outbox', 'seen-prompt.md'), 'utf8')).toContain('Use PostgreSQL 16, please.');
    expect(existsSync(join(ws, 'repo', 'BLOCKED.md'))).toBe(false);
    expect(fjIssueLabels('acme/x', 5)).toEqual([]);
    expect(issue.comments).toHaveLength(2);
  });
});

// --- 5. push and pull request ------------------------------------------------------------------

describe('--push', () => {
  it('pushes the branch with the configured identity and opens a PR after QA passed', async () => {
    const h = makeHome();
    const blocked = fjLabelId('acme/x', BLOCKED_LABEL);
    const result = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '6', '--agent', 'editor', '--push', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const final = JSON.parse(result.stdout);
    const pushed = refIn('x', 'refs/heads/agent/issue-6');
    expect(pushed).toMatch(/^[0-9a-f]{40}$/);
    expect(final).toMatchObject({ state: 'completed', qa: { state: 'passed' }, pushed: { branch: 'agent/issue-6', commit: pushed }, warnings: [onHost('editor')] });
    expect(git(bare('x'), 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%P', 'agent/issue-6')).toBe(
      `${IDENTITY.name} <${IDENTITY.email}>|${IDENTITY.name} <${IDENTITY.email}>|${mainHead}`,
    );
    expect(git(bare('x'), 'show', 'agent/issue-6:CHANGES.md')).toBe('edited by the agent');
    expect(git(bare('x'), 'diff-tree', '--no-commit-id', '--name-only', '-r', 'agent/issue-6').split('\n')).toEqual(['CHANGES.md']);

    const log = calls(fj);
    expect(log.slice(0, 2).sort()).toEqual(['GET /api/v1/repos/acme/x/issues/6', 'GET /api/v1/repos/acme/x/issues/6/comments']);
    expect(log.slice(2)).toEqual([
      'POST /api/v1/repos/acme/x/issues/6/stopwatch/start',
      'POST /api/v1/repos/acme/x/pulls',
      'POST /api/v1/repos/acme/x/issues/6/stopwatch/stop',
      ...fjRemoveBlocked('acme/x', 6, blocked),
    ]);
    const create = fj.requests.find((r) => r.method === 'POST' && r.path === '/api/v1/repos/acme/x/pulls');
    expect(create?.body).toMatchObject({ head: 'agent/issue-6', base: 'main', title: 'Add a CHANGES file' });
    expect((create?.body as { body: string }).body).toContain('Closes #6');
    const pull = fj.state.repo('acme/x').pulls.find((p) => p.head.ref === 'agent/issue-6');
    expect(pull).toMatchObject({ title: 'Add a CHANGES file', base: { ref: 'main' } });
    expect(final.pullRequest).toEqual({ number: pull?.number, url: `${fj.url}/acme/x/pulls/${pull?.number}` });
  });

  it('pushes nothing and opens no PR when QA failed', async () => {
    const h = makeHome();
    const blocked = fjLabelId('acme/y', BLOCKED_LABEL);
    const result = await cli(h, ['dispatch', '--repo', 'acme/y', '--issue', '1', '--agent', 'editor', '--push', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(12);
    const final = JSON.parse(result.stdout);
    expect(final).toMatchObject({ state: 'completed', qa: { state: 'failed', failedCommand: 'npm test' } });
    expect(final.pushed).toBeUndefined();
    expect(final.pullRequest).toBeUndefined();
    expect(refIn('y', 'refs/heads/agent/issue-1')).toBeUndefined();
    const log = calls(fj);
    expect(log.slice(0, 2).sort()).toEqual(['GET /api/v1/repos/acme/y/issues/1', 'GET /api/v1/repos/acme/y/issues/1/comments']);
    expect(log.slice(2)).toEqual([
      'POST /api/v1/repos/acme/y/issues/1/stopwatch/start',
      'POST /api/v1/repos/acme/y/issues/1/stopwatch/stop',
      ...fjRemoveBlocked('acme/y', 1, blocked),
    ]);
    expect(fj.state.repo('acme/y').pulls).toEqual([]);
  });

  it('pushes nothing for a blocked run', async () => {
    const h = makeHome();
    const pullsBefore = fj.state.repo('acme/x').pulls.length;
    const result = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '11', '--agent', 'asker', '--push', '--wait', '--json']);
    expect(result.code, result.stderr).toBe(11);
    const final = JSON.parse(result.stdout);
    expect(final.state).toBe('blocked');
    expect(final.pushed).toBeUndefined();
    expect(refIn('x', 'refs/heads/agent/issue-11')).toBeUndefined();
    expect(calls(fj)).not.toContain('POST /api/v1/repos/acme/x/pulls');
    expect(fj.state.repo('acme/x').pulls).toHaveLength(pullsBefore);
    expect(fjIssueLabels('acme/x', 11)).toEqual([BLOCKED_LABEL]);
  });
});

// --- 6. review mode ----------------------------------------------------------------------------

describe('review mode with --comment', () => {
  it('posts one review comment, edits it on later runs, and exits by the verdict', async () => {
    const h = makeHome({ forge: 'gh', qa: false });
    const pr = ghIssue('acme/x', 9);
    const comments = 'GET /repos/acme/x/issues/9/comments?per_page=100&page=1';
    const running = `/repos/acme/x/issues/9/labels/${encodeURIComponent(RUNNING_LABEL)}`;
    const blocked = `/repos/acme/x/issues/9/labels/${encodeURIComponent(BLOCKED_LABEL)}`;
    const context = ['GET /repos/acme/x/pulls/9', 'GET /repos/acme/x/pulls/9/files?per_page=100&page=1'];
    const review = (): fakeGithub.GhComment[] => pr.comments.filter((c) => c.body.includes(REVIEW));
    const summary = (): fakeGithub.GhComment[] => pr.comments.filter((c) => c.body.includes(SUMMARY));

    const first = await cli(h, ['dispatch', '--repo', 'acme/x', '--pr', '9', '--agent', 'reviewer', '--wait', '--json', '--comment']);
    expect(first.code, first.stderr).toBe(15);
    expect(JSON.parse(first.stdout)).toMatchObject({ state: 'completed', review: { verdict: 'request-changes', posted: true }, warnings: [onHost('reviewer')] });
    expect(JSON.parse(first.stdout).qa).toBeUndefined();
    let log = calls(gh);
    expect(log.slice(0, 2).sort()).toEqual(context);
    expect(log.slice(2)).toEqual([
      'POST /repos/acme/x/issues/9/labels',
      'GET /user',
      comments,
      'POST /repos/acme/x/issues/9/comments',
      `DELETE ${running}`,
      'GET /user',
      comments,
      'POST /repos/acme/x/issues/9/comments',
      `DELETE ${blocked}`,
    ]);
    expect(review()).toHaveLength(1);
    const posted = review()[0] as fakeGithub.GhComment;
    expect(posted.body).toContain('**agentctl review** by `reviewer` (run 1, completed)');
    expect(posted.body).toContain('The module has no tests.\n\nVERDICT: request-changes');
    expect(summary()).toHaveLength(1);
    const summaryId = summary()[0]?.id;

    gh.requests.length = 0;
    const second = await cli(h, ['dispatch', '--repo', 'acme/x', '--pr', '9', '--agent', 'reviewer', '--wait', '--json', '--comment']);
    expect(second.code, second.stderr).toBe(15);
    log = calls(gh);
    expect(log.slice(0, 2).sort()).toEqual(context);
    expect(log.slice(2)).toEqual([
      'POST /repos/acme/x/issues/9/labels',
      'GET /user',
      comments,
      `PATCH /repos/acme/x/issues/comments/${posted.id}`,
      `DELETE ${running}`,
      'GET /user',
      comments,
      `PATCH /repos/acme/x/issues/comments/${summaryId}`,
      `DELETE ${blocked}`,
    ]);
    expect(review()).toHaveLength(1);
    expect(review()[0]?.body).toContain('(run 2, completed)');

    const third = await cli(h, ['dispatch', '--repo', 'acme/x', '--pr', '9', '--agent', 'approver', '--wait', '--json', '--comment']);
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ state: 'completed', review: { verdict: 'approve', posted: true } });
    expect(review()).toHaveLength(1);
    expect(review()[0]?.id).toBe(posted.id);
    expect(review()[0]?.body).toContain('All good now.\n\nVERDICT: approve');
    expect(summary()).toHaveLength(1);
    expect(pr.comments).toHaveLength(2);
    expect(pr.labels).toEqual([]);
  });
});

// --- 7. a forge that fails during a run --------------------------------------------------------

describe('a forge that fails during a run', () => {
  it('answers 500: the run completes and the failures are warnings', async () => {
    const down = await fakeForgejo.start();
    try {
      down.state.token = FJ_TOKEN;
      seedForgejo(down);
      down.failNext(500, 100);
      const h = makeHome({ fjApi: `${down.url}/api/v1` });
      // With a --task of its own the run needs no issue text (without one it is refused: test/integration/forge-down.test.ts).
      const result = await cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '10', '--task', 'Resolve issue #10.', '--agent', 'editor', '--wait', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('warning: no issue context from forge fj');
      const ws = h.ws('acme/x', 'task-10');
      const final = statusOf(ws);
      expect(final).toMatchObject({ state: 'completed', qa: { state: 'passed' } });
      const log = calls(down);
      expect(log.slice(0, 2).sort()).toEqual(['GET /api/v1/repos/acme/x/issues/10', 'GET /api/v1/repos/acme/x/issues/10/comments']);
      expect(log.slice(2)).toEqual([
        'POST /api/v1/repos/acme/x/issues/10/stopwatch/start',
        'POST /api/v1/repos/acme/x/issues/10/stopwatch/stop',
        'GET /api/v1/repos/acme/x/labels?page=1&limit=50',
      ]);
      for (const r of down.requests) expect(r.authorization).toBe(`token ${FJ_TOKEN}`);
      expect(final.warnings).toHaveLength(4);
      expect(final.warnings[0]).toMatch(/^forge fj: stopwatch-start on #10 failed: .*500/);
      expect(final.warnings[1]).toBe(onHost('editor'));
      expect(final.warnings[2]).toMatch(/^forge fj: stopwatch-stop on #10 failed: .*500/);
      expect(final.warnings[3]).toMatch(/^forge fj: remove-label on #10 failed: .*500/);
      const events = readFileSync(join(h.state, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const warnings = events.filter((e) => e.type === 'warning');
      expect(warnings.map((e) => e.message)).toEqual(final.warnings);
      for (const e of warnings) expect(e.workspace).toBe(ws);
      expect(events.filter((e) => e.type === 'forge')).toEqual([]);
    } finally {
      await down.close();
    }
  });

  it('hangs: the call times out, the run completes and the timeout is a warning', async () => {
    const slow = await fakeForgejo.start();
    try {
      slow.state.token = FJ_TOKEN;
      seedForgejo(slow);
      const h = makeHome({ fjApi: `${slow.url}/api/v1` });
      const started = Date.now();
      const running = cli(h, ['dispatch', '--repo', 'acme/x', '--issue', '12', '--agent', 'slowpoke', '--wait', '--json']);
      // The agent sleeps 2 s after it started; once the stopwatch has started, make the next call (the stop) hang.
      const start = 'POST /api/v1/repos/acme/x/issues/12/stopwatch/start';
      const deadline = Date.now() + 20_000;
      while (!calls(slow).includes(start) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(calls(slow)).toContain(start);
      slow.hangNext(1);
      const result = await running;
      const seconds = (Date.now() - started) / 1000;
      expect(result.code, result.stderr).toBe(0);
      const ws = h.ws('acme/x', 'task-12');
      const final = statusOf(ws);
      expect(final).toMatchObject({ state: 'completed', qa: { state: 'passed' } });
      for (const r of slow.requests) expect(r.authorization).toBe(`token ${FJ_TOKEN}`);
      expect(calls(slow).slice(2)).toEqual([start, 'POST /api/v1/repos/acme/x/issues/12/stopwatch/stop', 'GET /api/v1/repos/acme/x/labels?page=1&limit=50']);
      expect(final.warnings).toHaveLength(2);
      expect(final.warnings[0]).toBe(onHost('slowpoke'));
      expect(final.warnings[1]).toMatch(/^forge fj: stopwatch-stop on #12 failed: .*10(\.0)? s/);
      const events = readFileSync(join(h.state, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events.filter((e) => e.type === 'warning').map((e) => e.message)).toEqual(final.warnings);
      // The adapters give each call 10 s; one hung call costs that, no more.
      expect(seconds).toBeGreaterThan(10);
      expect(seconds).toBeLessThan(30);
    } finally {
      await slow.close();
    }
  });
});
