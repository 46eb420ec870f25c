import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceLayout } from '../core/workspace/layout.js';
import { COLLECTED_REF } from '../git/host-repo.js';
import { writeJob, type Job } from './job-store.js';
import type { RunContext } from './run-context.js';
import { copyIndexFile } from '../git/index-file.js';

/**
 * dispatch --from-after: the checkout starts from its predecessor's work, as
 * agentctl collected it into the predecessor's host-owned repository (what a
 * push of it sends), never from anything in the predecessor's checkout or
 * outbox. The checkout is agentctl's own still (no agent has run in it for
 * this run), and its start index is taken again, so collecting this run's
 * work starts from the predecessor's. Returns the commit started from.
 * Only once: the job then records the commit and drops fromAfter, since
 * git run in a checkout an agent has had (a run requeued at its usage limit,
 * resumed, answered) would obey its .git/config (filters, remotes).
 */
export async function startFromPredecessor(job: Job, ctx: RunContext): Promise<string> {
  if (job.startedFrom !== undefined) return job.startedFrom;
  const predecessor = job.after?.[0];
  if (predecessor === undefined) throw new Error('--from-after needs the run to start after another');
  const hostGit = workspaceLayout(predecessor).hostGit;
  if (!existsSync(join(hostGit, COLLECTED_REF))) throw new Error(`the run in ${predecessor} left no collected work to start from`);
  const layout = workspaceLayout(job.workspace);
  const commit = await ctx.git.startFrom(layout.repo, hostGit, COLLECTED_REF, job.branch);
  copyIndexFile(join(layout.repo, '.git', 'index'), layout.startIndex);
  writeJob({ ...job, fromAfter: undefined, startedFrom: commit });
  return commit;
}
