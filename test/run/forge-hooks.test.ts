/**
 * upsert-comment edits agentctl's own comment only. Anyone who may comment
 * can write agentctl's marker: a stranger's comment carrying it is left as
 * it is, and agentctl posts its summary/review as its own comment instead.
 * Run against the fake GitHub and Forgejo servers through the real adapters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_MARKER, SUMMARY_MARKER } from '../../src/core/forge/forge-plan.js';
import { ForgejoForge } from '../../src/forge/forgejo-forge.js';
import type { Forge } from '../../src/forge/forge.js';
import { GitHubForge } from '../../src/forge/github-forge.js';
import type { ForgeLink } from '../../src/core/forge/forge-link.js';
import { applyForgeActions } from '../../src/run/forge-hooks.js';
import type { RunContext } from '../../src/run/run-context.js';
import * as fakeForgejo from '../support/fake-forgejo.js';
import * as fakeGitHub from '../support/fake-github.js';

const TOKEN = 'tok_upsert_0123456789abcdef';
let github: fakeGitHub.FakeGitHub;
let forgejo: fakeForgejo.FakeForgejo;
let home: string;

beforeAll(async () => {
  github = await fakeGitHub.start();
  forgejo = await fakeForgejo.start();
});
afterAll(async () => {
  await github.close();
  await forgejo.close();
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function ctxFor(forge: Forge): RunContext {
  home = mkdtempSync(join(tmpdir(), 'upsert-comment-'));
  return { home, clock: { now: () => new Date('2026-01-01T00:00:00Z') }, forges: { byKey: async () => forge } } as unknown as RunContext;
}

interface Case {
  name: string;
  kind: 'github' | 'forgejo';
  /** Seeds issue 5 of acme/app with these comments; returns the comments list after the run. */
  seed(comments: Array<{ user: string; body: string }>): () => Array<{ id: number; user: string; body: string }>;
  forge(): Promise<Forge>;
}

const cases: Case[] = [
  {
    name: 'GitHub',
    kind: 'github',
    seed(comments) {
      github.state.repos.clear();
      github.state.token = TOKEN;
      github.state.login = 'agentctl-bot';
      const issue = { number: 5, title: 't', body: null, labels: [], comments: comments.map((c, i) => ({ id: 100 + i, created_at: '2026-01-01T00:00:00Z', ...c })) };
      github.state.repo('acme/app').issues.push(issue);
      return () => issue.comments;
    },
    forge: () => GitHubForge.create({ key: 'f', apiUrl: github.url, tokenEnv: 'T', token: TOKEN, timeoutMs: 3000 }),
  },
  {
    name: 'Forgejo',
    kind: 'forgejo',
    seed(comments) {
      forgejo.state.repos.clear();
      forgejo.state.token = TOKEN;
      forgejo.state.login = 'agentctl-bot';
      const issue = { number: 5, title: 't', body: '', labels: [], comments: comments.map((c, i) => ({ id: 100 + i, created_at: '2026-01-01T00:00:00Z', ...c })) };
      forgejo.state.repo('acme/app').issues.push(issue);
      return () => issue.comments;
    },
    forge: async () => new ForgejoForge({ key: 'f', kind: 'forgejo', apiUrl: `${forgejo.url}/api/v1`, tokenEnv: 'T', token: TOKEN, timeoutMs: 3000 }),
  },
];

describe.each(cases)('upsert-comment on a fake $name', (c) => {
  it.each([SUMMARY_MARKER, REVIEW_MARKER])('leaves a stranger\'s comment holding %s untouched and posts its own', async (marker) => {
    const comments = c.seed([
      { user: 'agentctl-bot', body: `${marker}\nold agentctl text` },
      { user: 'stranger', body: `${marker} hi` },
    ]);
    const forge = await c.forge();
    const link: ForgeLink = { key: 'f', kind: c.kind, owner: 'acme', repo: 'app', number: 5 };
    const warnings = await applyForgeActions(link, [{ op: 'upsert-comment', marker, body: `${marker}\n**agentctl**: new text` }], '/nonexistent-ws', ctxFor(forge));
    expect(warnings).toEqual([]);
    const after = comments();
    expect(after.find((x) => x.user === 'stranger')?.body).toBe(`${marker} hi`);
    // agentctl's own older comment is the one updated: no duplicate
    expect(after.filter((x) => x.body.includes('**agentctl**'))).toEqual([expect.objectContaining({ user: 'agentctl-bot' })]);
    expect(after).toHaveLength(2);
  });

  it('only a stranger\'s comment holds the marker: agentctl posts a new comment of its own', async () => {
    const comments = c.seed([{ user: 'stranger', body: `${SUMMARY_MARKER}` }]);
    const forge = await c.forge();
    const link: ForgeLink = { key: 'f', kind: c.kind, owner: 'acme', repo: 'app', number: 5 };
    const warnings = await applyForgeActions(link, [{ op: 'upsert-comment', marker: SUMMARY_MARKER, body: `${SUMMARY_MARKER}\nsummary` }], '/nonexistent-ws', ctxFor(forge));
    expect(warnings).toEqual([]);
    const after = comments();
    expect(after[0]?.body).toBe(SUMMARY_MARKER);
    expect(after.at(-1)).toMatchObject({ user: 'agentctl-bot', body: `${SUMMARY_MARKER}\nsummary` });
  });
});
