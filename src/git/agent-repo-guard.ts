import { lstatSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Why git may not fetch from the agent's checkout as it stands, or undefined
 * when it may. Git serves a fetch from `<repo>/.git` with upload-pack, which
 * runs nothing the repository configures; but a `.git` that is a link or a
 * gitfile, a `commondir`, or an alternates file would make it serve objects
 * from elsewhere on the host, which would then be committed and pushed.
 */
export function agentRepoProblem(repoDir: string): string | undefined {
  const gitDir = join(repoDir, '.git');
  const mustBeDirs = [repoDir, gitDir, join(gitDir, 'objects'), join(gitDir, 'refs')];
  for (const path of mustBeDirs) {
    const kind = kindOf(path);
    if (kind !== 'dir') return `${path} is ${kind === undefined ? 'missing' : `a ${kind}, not a directory`}`;
  }
  const mustBeAbsent = [join(gitDir, 'commondir'), join(gitDir, 'objects', 'info', 'alternates'), join(gitDir, 'objects', 'info', 'http-alternates')];
  for (const path of mustBeAbsent) {
    if (kindOf(path) !== undefined) return `${path} points the repository elsewhere`;
  }
  return undefined;
}

function kindOf(path: string): 'dir' | 'link' | 'file' | 'special file' | undefined {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return 'link';
    if (stat.isDirectory()) return 'dir';
    return stat.isFile() ? 'file' : 'special file';
  } catch {
    return undefined;
  }
}
