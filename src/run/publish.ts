import { join } from 'node:path';
import { pullRequestText, REVIEW_MARKER, reviewVerdict } from '../core/forge/forge-plan.js';
import type { RunStatus } from '../core/run/status.js';
import { recordEvent } from './events.js';
import { applyForgeActions } from './forge-hooks.js';
import type { CollectedWork } from '../git/host-repo.js';
import { workPaths } from './collect-work.js';
import type { Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { READ_BOUNDS } from '../core/workspace/layout.js';
import type { Outbox } from './backend/agent-backend.js';

/**
 * After a completed run whose QA did not fail: push the agent's collected
 * work from the host-owned repository (the container never sees a
 * credential) and open a PR. Where to push comes from agentctl's own record,
 * never from the agent's repository; the base and default branches are never
 * pushed to. Problems become warnings; the run stays done.
 */
export async function publish(job: Job, status: RunStatus, ctx: RunContext, work: CollectedWork | undefined): Promise<Partial<RunStatus>> {
  const warnings: string[] = [];
  if (job.branch === undefined) return { warnings: [...status.warnings, 'not pushed: a tag checkout has no branch to push'] };
  const where = workPaths(job.workspace, ctx.home);
  if (work === undefined || where === undefined) return { warnings: [...status.warnings, "not pushed: the agent's work could not be collected"] };
  const defaultBranch = await ctx.git.defaultBranch(where.paths.mirror).catch(() => undefined);
  if ([job.base, where.record.base, defaultBranch?.name].includes(job.branch)) {
    return { warnings: [...status.warnings, `not pushed: ${job.branch} is the base or default branch, which agentctl never pushes to`] };
  }
  let pushed: RunStatus['pushed'];
  try {
    const tokenEnv = job.forge === undefined ? undefined : ctx.config.forges[job.forge.key]?.token_env;
    await ctx.git.pushWork(where.paths.hostGit, where.record.cloneUrl, work.commit, job.branch, tokenEnv === undefined ? undefined : ctx.env[tokenEnv]);
    pushed = { branch: job.branch, commit: work.commit };
    recordEvent(ctx.home, { type: 'pushed', at: ctx.clock.now().toISOString(), workspace: job.workspace, branch: job.branch, commit: pushed.commit });
  } catch (error) {
    return { warnings: [...status.warnings, `not pushed: ${(error as Error).message}`] };
  }
  let pullRequest: RunStatus['pullRequest'];
  if (job.forge !== undefined && job.target.kind !== 'pr' && job.base !== undefined && job.base !== job.branch) {
    try {
      const forge = await ctx.forges.byKey(job.forge.key);
      const text = pullRequestText(status, job.target, job.issueTitle);
      pullRequest = await forge.createPull({ owner: job.forge.owner, repo: job.forge.repo }, { ...text, head: job.branch, base: job.base });
      recordEvent(ctx.home, { type: 'pull-request', at: ctx.clock.now().toISOString(), workspace: job.workspace, number: pullRequest.number, url: pullRequest.url });
    } catch (error) {
      warnings.push(`pushed ${job.branch}, but no pull request: ${(error as Error).message}`);
    }
  }
  return { pushed, pullRequest, warnings: [...status.warnings, ...warnings] };
}

const MAX_REVIEW_CHARS = 60_000;

/** The review text: the agent's saved final message, else the end of its log; both read from the outbox with a bound. */
function reviewText(outbox: Outbox): string {
  const text = outbox.read('review', READ_BOUNDS.review)?.text.trim() ?? '';
  if (text !== '') return text.slice(0, MAX_REVIEW_CHARS);
  const log = outbox.tail('log', READ_BOUNDS.review)?.text ?? '';
  return log.split('\n').filter((line) => !line.startsWith('=== agentctl run')).slice(-200).join('\n').trim().slice(-MAX_REVIEW_CHARS);
}

/** Post a review as one PR comment (edited in place on later runs) and read its verdict. */
export async function postReview(job: Job, status: RunStatus, outbox: Outbox, ctx: RunContext): Promise<Partial<RunStatus>> {
  const text = reviewText(outbox);
  const verdict = reviewVerdict(text);
  if (job.forge === undefined) {
    return { review: { verdict, posted: false }, warnings: [...status.warnings, 'review not posted: the repo is on no configured forge with an API'] };
  }
  const body = `${REVIEW_MARKER}\n**agentctl review** by \`${job.agent}\` (run ${status.runCount}, ${status.state})\n\n${text || '(the agent produced no review text)'}\n`;
  const warnings = await applyForgeActions(job.forge, [{ op: 'upsert-comment', marker: REVIEW_MARKER, body }], job.workspace, ctx);
  return { review: { verdict, posted: warnings.length === 0 }, warnings: [...status.warnings, ...warnings] };
}
