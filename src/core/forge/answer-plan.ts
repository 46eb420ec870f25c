import { QUESTION_MARKER } from './forge-plan.js';

/** agentctl's own comments carry a hidden marker: they are never a reply. */
export const AGENTCTL_MARKER = '<!-- agentctl:';

export interface Reply {
  author: string;
  body: string;
}

/**
 * The replies to the agent's last question on the forge, newest first:
 * every comment after the question that agentctl did not write itself.
 * Only a question posted by `self` (the account agentctl works as) counts,
 * so a stranger who copies the marker cannot move the question. Undefined
 * when the question is not there at all.
 */
export function repliesToQuestion<C extends Reply>(comments: readonly C[], self: string): C[] | undefined {
  const asked = comments.map((c) => c.author === self && c.body.includes(QUESTION_MARKER)).lastIndexOf(true);
  if (asked < 0) return undefined;
  return comments
    .slice(asked + 1)
    .filter((c) => !c.body.includes(AGENTCTL_MARKER))
    .reverse();
}

/** Permissions that may answer for the operator: GitHub's admin/maintain/write, Forgejo's and Gitea's owner/admin/write. */
export function mayAnswer(permission: string | undefined): boolean {
  return permission === 'admin' || permission === 'maintain' || permission === 'write' || permission === 'owner';
}
