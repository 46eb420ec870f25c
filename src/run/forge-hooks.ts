import type { ForgeLink } from '../core/forge/forge-link.js';
import type { ForgeAction } from '../core/forge/forge-plan.js';
import type { Forge, RepoId } from '../forge/forge.js';
import { recordEvent } from './events.js';
import type { RunContext } from './run-context.js';

async function apply(forge: Forge, repo: RepoId, number: number, action: ForgeAction): Promise<void> {
  switch (action.op) {
    case 'stopwatch-start':
      return forge.startStopwatch(repo, number);
    case 'stopwatch-stop':
      return forge.stopStopwatch(repo, number);
    case 'add-label':
      return forge.addLabels(repo, number, [action.label]);
    case 'remove-label':
      return forge.removeLabel(repo, number, action.label);
    case 'post-comment':
      await forge.postComment(repo, number, action.body);
      return;
    case 'upsert-comment': {
      // Anyone may write the marker: only agentctl's own comment is edited, a stranger's is left alone.
      const self = await forge.currentUser();
      const existing = (await forge.listComments(repo, number, 100)).filter((c) => c.author === self && c.body.includes(action.marker)).at(-1);
      if (existing === undefined) await forge.postComment(repo, number, action.body);
      else await forge.editComment(repo, existing.id, action.body);
      return;
    }
  }
}

/**
 * Carry out forge actions for a run. A forge that fails or hangs never
 * fails the run: each failure becomes a warning, returned for the status and
 * recorded in the event logs.
 */
export async function applyForgeActions(link: ForgeLink, actions: readonly ForgeAction[], workspace: string, ctx: RunContext): Promise<string[]> {
  const warnings: string[] = [];
  const forge = await ctx.forges.byKey(link.key).catch((error: unknown) => {
    warnings.push(`forge ${link.key}: ${(error as Error).message}`);
    return undefined;
  });
  for (const action of forge === undefined ? [] : actions) {
    try {
      await apply(forge as Forge, { owner: link.owner, repo: link.repo }, link.number, action);
      recordEvent(ctx.home, { type: 'forge', at: ctx.clock.now().toISOString(), workspace, forge: link.key, action: action.op });
    } catch (error) {
      warnings.push(`forge ${link.key}: ${action.op} on #${link.number} failed: ${(error as Error).message}`);
    }
  }
  for (const warning of warnings) recordEvent(ctx.home, { type: 'warning', at: ctx.clock.now().toISOString(), workspace, message: warning });
  return warnings;
}
