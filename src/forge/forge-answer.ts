import { AgentctlError, ExitCode } from '../core/errors.js';
import { mayAnswer, repliesToQuestion } from '../core/forge/answer-plan.js';
import type { Forge, RepoId } from './forge.js';

export interface ForgeAnswer {
  text: string;
  /** Who wrote the reply taken as the answer. */
  author: string;
  /** Authors of newer replies that were passed over: not the dispatching account and no write access. */
  ignored: string[];
}

/**
 * Comments read back from the newest: far enough that a stranger's flood of
 * comments does not push the question out of sight (ten pages on GitHub),
 * and still a bounded number of calls.
 */
const MAX_COMMENTS = 1000;

/** Distinct authors whose permission is looked up at most: a flood of strangers' replies costs a bounded number of calls. */
const MAX_AUTHORS_CHECKED = 20;

/**
 * The answer to a blocked run's question on its forge issue: the newest
 * reply from the account agentctl works as, or from a user with write
 * access to the repository. Anyone can comment on an issue; a stranger's
 * reply is never an answer from the operator.
 */
export async function answerFromForge(forge: Forge, repo: RepoId, number: number): Promise<ForgeAnswer> {
  const comments = await forge.listComments(repo, number, MAX_COMMENTS);
  const self = await forge.currentUser();
  const replies = repliesToQuestion(comments, self);
  if (replies === undefined || replies.length === 0) {
    throw new AgentctlError('no_answer_yet', `no reply after the agent's question on #${number} yet`, {
      exitCode: ExitCode.usage,
      hint: 'reply to the question comment on the forge, or pass the answer as text',
    });
  }
  const trusted = new Map<string, boolean>([[self, true]]);
  const ignored: string[] = [];
  for (const reply of replies) {
    if (!trusted.has(reply.author) && trusted.size <= MAX_AUTHORS_CHECKED) {
      trusted.set(reply.author, mayAnswer(await forge.permission(repo, reply.author)));
    }
    if (trusted.get(reply.author) === true) return { text: reply.body.trim(), author: reply.author, ignored };
    if (!ignored.includes(reply.author)) ignored.push(reply.author);
  }
  throw new AgentctlError('no_trusted_answer', `no reply after the agent's question on #${number} from ${self} or a user with write access to ${repo.owner}/${repo.repo}; ignored replies from ${ignored.join(', ')}`, {
    exitCode: ExitCode.usage,
    hint: 'reply from the dispatching account or as a collaborator with write access, or pass the answer as text',
  });
}

/** One line for the operator: who answered, and whose replies were passed over. */
export function answerNote(answer: ForgeAnswer): string {
  const passed = answer.ignored.length === 0 ? '' : `; ignored newer replies from ${answer.ignored.join(', ')} (no write access)`;
  return `answered by ${answer.author} on the forge${passed}`;
}
