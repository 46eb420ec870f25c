import { describe, expect, it } from 'vitest';
import {
  BLOCKED_LABEL,
  finishActions,
  forgeNumber,
  issueContext,
  pullContext,
  pullRequestText,
  qaLine,
  reviewVerdict,
  RUNNING_LABEL,
  startActions,
  SUMMARY_MARKER,
} from '../../../src/core/forge/forge-plan.js';
import type { RunStatus } from '../../../src/core/run/status.js';

function run(overrides: Partial<RunStatus> = {}): RunStatus {
  return {
    version: 1,
    state: 'completed',
    workspace: '/home/ada/.agentctl/workspace/acme/web/task-42',
    repo: 'acme/web',
    agent: 'claude',
    pool: 'claude',
    runtime: 'podman',
    runCount: 1,
    startedAt: '2026-12-07T10:00:00.000Z',
    finishedAt: '2026-12-07T10:02:05.000Z',
    warnings: [],
    ...overrides,
  };
}

describe('what a run does on its forge', () => {
  it.each([
    ['github', [{ op: 'add-label', label: RUNNING_LABEL }]],
    ['forgejo', [{ op: 'stopwatch-start' }]],
    ['gitea', [{ op: 'stopwatch-start' }]],
  ] as const)('%s: at the start', (kind, actions) => {
    expect(startActions(kind)).toEqual(actions);
  });

  it.each([
    ['github', 'completed', ['remove-label', 'upsert-comment', 'remove-label']],
    ['github', 'blocked', ['remove-label', 'upsert-comment', 'post-comment', 'add-label']],
    ['forgejo', 'failed', ['stopwatch-stop', 'remove-label']],
    ['forgejo', 'blocked', ['stopwatch-stop', 'post-comment', 'add-label']],
  ] as const)('%s: at the end of a %s run', (kind, state, ops) => {
    const actions = finishActions(kind, run({ state, question: 'Postgres or SQLite?' }));
    expect(actions.map((action) => action.op)).toEqual(ops);
    const labels = actions.filter((action) => action.op === 'add-label' || action.op === 'remove-label').map((action) => ('label' in action ? action.label : ''));
    expect(labels.at(-1)).toBe(BLOCKED_LABEL);
  });

  it('the GitHub summary comment: one per run, found again by its marker, with outcome, time, QA and the PR', () => {
    const [, upsert] = finishActions('github', run({ qa: { state: 'passed', commands: ['npm ci', 'npm test'], log: 'qa.log' } }), { pullUrl: 'https://github.com/acme/web/pull/43' });
    expect(upsert).toEqual({ op: 'upsert-comment', marker: SUMMARY_MARKER, body: expect.stringContaining(SUMMARY_MARKER) });
    const body = (upsert as { body: string }).body;
    expect(body).toContain('**agentctl**: `claude` run 1 completed.');
    expect(body).toContain('| elapsed | 2m 5s |');
    expect(body).toContain('| QA | passed (`npm ci`, `npm test`) |');
    expect(body).toContain('| pull request | https://github.com/acme/web/pull/43 |');
  });

  it("a blocked run's question is quoted, with the command that answers it", () => {
    const post = finishActions('forgejo', run({ state: 'blocked', question: 'Postgres\nor SQLite?' })).find((action) => action.op === 'post-comment');
    expect((post as { body: string }).body).toContain('> Postgres\n> or SQLite?\n\nReply here, then run `agentctl answer /home/ada/.agentctl/workspace/acme/web/task-42 --from-forge`.');
  });
});

describe('QA and the pull request', () => {
  it.each([
    [undefined, 'not run'],
    [{ state: 'skipped', commands: [], log: '' }, 'skipped'],
    [{ state: 'failed', failedCommand: 'npm test', commands: ['npm ci', 'npm test'], log: '' }, 'failed (`npm test`)'],
    [{ state: 'passed', commands: ['go test ./...'], log: '' }, 'passed (`go test ./...`)'],
  ] as const)('QA %j reads "%s"', (qa, line) => {
    expect(qaLine(run({ qa: qa as RunStatus['qa'] }))).toBe(line);
  });

  it.each([
    [{ kind: 'issue', number: 42 }, 'Fix the login redirect', 'Fix the login redirect', 'Closes #42\n'],
    [{ kind: 'issue', number: 42 }, undefined, 'Fix #42', 'Closes #42\n'],
    [{ kind: 'pr', number: 7 }, undefined, 'Fix #7', 'Made by'],
    [{ kind: 'adhoc', id: 'x' }, undefined, 'agentctl: claude changes', 'Made by'],
  ] as const)('a PR for %j: title and body', (target, issueTitle, title, bodyStart) => {
    const text = pullRequestText(run(), target, issueTitle);
    expect(text.title).toBe(title);
    expect(text.body.startsWith(bodyStart)).toBe(true);
    expect(text.body).toContain('QA: not run');
  });

  it.each([
    [{ kind: 'issue', number: 3 }, 3],
    [{ kind: 'pr', number: 9 }, 9],
    [{ kind: 'branch', name: 'main' }, undefined],
    [{ kind: 'tag', name: 'v1' }, undefined],
  ] as const)('%j reports to forge number %s', (target, number) => {
    expect(forgeNumber(target)).toBe(number);
  });
});

describe('context for the prompt', () => {
  it('an issue: title, labels, body and comments, oldest first, each bounded', () => {
    const text = issueContext({ number: 42, title: 'Login loops', body: 'x'.repeat(20_000), labels: ['bug', 'web'] }, [{ author: 'bob', body: 'Seen on Safari too.', createdAt: '2026-12-01' }]);
    expect(text.startsWith('Issue #42: Login loops\nLabels: bug, web\n\n')).toBe(true);
    expect(text).toContain('x'.repeat(16 * 1024) + '\n[…truncated]');
    expect(text).toContain('Recent comments (1, oldest first):\n\n--- bob at 2026-12-01:\nSeen on Safari too.');
  });

  it('an issue without a body says so', () => {
    expect(issueContext({ number: 1, title: 't', body: '  ', labels: [] }, [])).toBe('Issue #1: t\n\n(no description)');
  });

  it('a pull request lists at most 300 changed files and counts the rest', () => {
    const files = Array.from({ length: 305 }, (_, i) => `src/f${i}.ts`);
    const text = pullContext({ number: 7, title: 'Faster login', body: '', base: 'main', head: 'feature' }, files);
    expect(text).toContain('Base: main  Head: feature');
    expect(text).toContain('Changed files (305):\n- src/f0.ts');
    expect(text).not.toContain('src/f300.ts');
    expect(text.endsWith('- … and 5 more')).toBe(true);
  });
});

describe("a review's verdict line", () => {
  it.each([
    ['Looks good.\nVERDICT: approve\n', 'approve'],
    ['  verdict: Request-Changes  ', 'request-changes'],
    ['VERDICT: maybe', undefined],
    ['I would say VERDICT: approve later', undefined],
    ['', undefined],
  ] as const)('%j → %s', (text, verdict) => {
    expect(reviewVerdict(text)).toBe(verdict);
  });
});
