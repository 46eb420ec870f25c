import type { Target } from '../names.js';

/** Review agents report on a change; they never make one. */
export function isReviewAgent(agent: { spec: string; base: string }): boolean {
  return agent.spec === 'codex:review' || agent.base === 'coderabbit';
}

/**
 * A tag is a release, not a branch to work on, and a review agent only
 * reads: both get the checkout read-only in their container (the outbox
 * stays writable for the review), so nothing they do lingers in the tree
 * for the next run. Their HOME and /tmp are tmpfs for the agents' caches.
 */
export function repoReadOnly(run: { target: Target; review: boolean }): boolean {
  return run.review || run.target.kind === 'tag';
}
