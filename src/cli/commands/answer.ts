import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeResumeArgv, MAX_PROMPT_ARG_BYTES } from '../../core/agents/agent-argv.js';
import { usageError } from '../../core/errors.js';
import { withAgentArgv } from '../../core/run/run-plan.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { answerFromForge, answerNote, type ForgeAnswer } from '../../forge/forge-answer.js';
import { recordEvent } from '../../run/events.js';
import { replaceUntrusted } from '../../fs/untrusted-file.js';
import { workspaceLayout } from '../../core/workspace/layout.js';
import { reconcileRun } from '../../run/finish-run.js';
import { readJob, type Job } from '../../run/job-store.js';
import type { RunContext } from '../../run/run-context.js';
import { runFiles } from '../../run/run-files.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { answerOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';
import { submitJob } from '../submit-job.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';

/** The trusted reply to the run's question on its forge (see answerFromForge), named in the output and the run's events. */
async function answerOnForge(job: Job, ctx: RunContext): Promise<ForgeAnswer> {
  if (job.forge === undefined) {
    throw usageError('no_forge', `the run in ${job.workspace} is not linked to an issue or PR on a configured forge`, 'give the answer as text: agentctl answer <workspace> "..."');
  }
  const forge = await ctx.forges.byKey(job.forge.key);
  const answer = await answerFromForge(forge, { owner: job.forge.owner, repo: job.forge.repo }, job.forge.number);
  ctx.notify(answerNote(answer));
  recordEvent(ctx.home, { type: 'answered', at: ctx.clock.now().toISOString(), workspace: job.workspace, by: answer.author, ignored: answer.ignored });
  return answer;
}

/** The same job with the answer added to its prompt (or, for claude, as the next turn of its session). */
export function answeredJob(job: Job, question: string, answer: string, sessionId: string | undefined, promptPath: string): Job {
  const section = `\n\n## Your earlier question, answered\n\nYou asked:\n\n${question.replace(/^/gm, '> ')}\n\nThe answer (also in /workspace/repo/ANSWER.md):\n\n${answer}\n`;
  let agentArgv: string[];
  // A resumed claude session takes the answer as its next turn: the old prompt must not come in on stdin again.
  const resumes = job.agentBase === 'claude' && sessionId !== undefined;
  if (resumes) {
    agentArgv = claudeResumeArgv(job.agentArgv, sessionId, `Your question was answered:\n\n${answer}\n\nContinue the task.`);
  } else {
    const oldPrompt = readFileSync(promptPath, 'utf8');
    const newPrompt = `${oldPrompt.trimEnd()}${section}`;
    writeFileAtomic(promptPath, newPrompt);
    agentArgv = job.agentArgv.map((arg) => (arg === oldPrompt ? newPrompt : arg));
    if (agentArgv.some((arg) => Buffer.byteLength(arg) > MAX_PROMPT_ARG_BYTES)) {
      throw usageError('prompt_too_large_for_argv', 'the prompt with the answer is too large for the command line', 'shorten the answer');
    }
  }
  return { ...job, agentArgv, run: withAgentArgv(job.run, agentArgv, { stdin: !resumes }) };
}

/** Answer a blocked run's question: write ANSWER.md and resume the run with the answer in its prompt. */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(answerOp.input, raw, 'answer');
  const [target, text] = opts.args as [string, string | undefined];
  if (opts.fromForge === (text !== undefined)) {
    throw usageError('answer_source', 'give the answer either as text or with --from-forge', 'agentctl answer <workspace> "use PostgreSQL", or agentctl answer <workspace> --from-forge');
  }
  const workspace = resolveWorkspace(target, deps);
  const { config } = await loadConfigFor(deps, opts.config);
  const ctx = await runContextFor(deps, config);
  const status = await reconcileRun(workspace, ctx);
  const job = readJob(workspace);
  if (status?.state !== 'blocked' || job === undefined || status.question === undefined) {
    throw usageError('not_blocked', `the run in ${workspace} is ${status?.state ?? 'not started'}, not blocked on a question`, '"agentctl status" shows which runs are blocked');
  }
  const fromForge = opts.fromForge ? await answerOnForge(job, ctx) : undefined;
  const answer = fromForge?.text ?? (text as string);
  // repo/ is the agent's: a link planted as ANSWER.md is replaced, never written through.
  replaceUntrusted(join(workspaceLayout(workspace).repo, 'ANSWER.md'), `# Question

${status.question}

# Answer

${answer}
`);
  // Its dependencies let it start once; an answered run waits for nothing.
  const next = { ...answeredJob(job, status.question, answer, status.sessionId, runFiles(workspace, job.agentBase, false).prompt), answeredBy: fromForge?.author, after: undefined };
  return submitJob(next, `${next.agent} with the answer`, ctx, deps, opts);
}
