import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentRepoProblem, headIsStill, workTreeProblem } from './agent-repo-guard.js';
import { copyIndexFile } from './index-file.js';

/** Runs one git process with this argv and extra environment; rejects on a non-zero exit. */
export type GitExec = (args: string[], extraEnv: NodeJS.ProcessEnv, timeoutMs?: number) => Promise<{ stdout: string; stderr: string }>;

/** What an agent's run left behind, as a commit of the host-owned repository. */
export interface CollectedWork {
  /** The agent's HEAD, plus one commit of what it left uncommitted when there was any. */
  commit: string;
  /** Whether that commit's tree differs from the start's. */
  changed: boolean;
}

export interface WorkPaths {
  /** The agent's checkout (untrusted). */
  repo: string;
  /** The host-owned bare repository (never mounted). */
  hostGit: string;
  /** The host-owned mirror whose objects the host repository borrows. */
  mirror: string;
  /** The index of the checkout as the host made it, copied before the agent ran (host-only). */
  startIndex: string;
}

const AGENT_REF = 'refs/agentctl/agent';
/** The last collected commit (what a push sends), and the agent HEAD it was made on. */
export const COLLECTED_REF = 'refs/agentctl/collected';
const COLLECTED_FROM_REF = 'refs/agentctl/collected-from';

/**
 * Settings for one git process, read as if passed with -c but kept out of
 * argv (a secret stays off the command line) and never cut at an "=" in its
 * key (as a -c key is, and a path may hold one).
 */
export function configEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const entries = Object.entries(settings);
  const env: NodeJS.ProcessEnv = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * Git in the host-owned repository only: our configuration alone (no system
 * or global file, so nothing of the operator's either), no hooks, no
 * fsmonitor, no automatic gc that could drop a collected commit.
 */
function ownRepoEnv(hostGit: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    GIT_DIR: hostGit,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    ...configEnv({ 'core.hooksPath': '/dev/null', 'core.fsmonitor': 'false', 'core.untrackedCache': 'false', 'gc.auto': '0', ...extra }),
  };
}

/** A value for a git config file, quoted so that no character of a path can end it or start another setting. */
function quoteConfigValue(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new Error(`a path with a line break cannot be trusted by git: ${JSON.stringify(value)}`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Make the host repository (once) as files, a bare repository git
 * recognizes, borrowing the mirror's objects so a fetch moves only what the
 * agent made. Written here rather than by `git init`: one process less on
 * every finished run.
 */
function ensureHostRepo(paths: WorkPaths): void {
  for (const dir of ['objects/info', 'refs/heads', 'refs/tags']) mkdirSync(join(paths.hostGit, dir), { recursive: true });
  const config = join(paths.hostGit, 'config');
  if (!existsSync(config)) writeFileSync(config, '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
  writeFileSync(join(paths.hostGit, 'objects', 'info', 'alternates'), `${join(paths.mirror, 'objects')}\n`);
  // Git recognizes a repository by its HEAD; an unborn one will do until the agent's last commit is known.
  const head = join(paths.hostGit, 'HEAD');
  if (!existsSync(head)) writeFileSync(head, 'ref: refs/heads/agentctl\n');
}

/** HEAD of the host repository, detached at the agent's last commit: `status` compares the work tree with it. */
function pointHead(paths: WorkPaths, commit: string): void {
  writeFileSync(join(paths.hostGit, 'HEAD'), `${commit}\n`);
}

/** The agent's last commit, fetched from its checkout into the host repository. */
async function fetchAgentHead(exec: GitExec, paths: WorkPaths): Promise<{ head: string }> {
  // The checkout may still belong to the agent's uid: trust exactly its .git for this fetch, nothing else. Git hides
  // command-line settings from the upload-pack it starts for a local fetch, so this one goes in a global file of ours.
  const trust = join(paths.hostGit, 'agentctl-fetch.gitconfig');
  writeFileSync(trust, `[safe]\n\tdirectory = ${quoteConfigValue(join(paths.repo, '.git'))}\n`);
  const fetchEnv = { ...ownRepoEnv(paths.hostGit, { 'fetch.fsckObjects': 'true' }), GIT_CONFIG_GLOBAL: trust };
  await exec(['fetch', '--verbose', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--no-auto-maintenance', '--end-of-options', paths.repo, `+HEAD:${AGENT_REF}`], fetchEnv);
  return { head: (await exec(['rev-parse', `${AGENT_REF}^{commit}`], ownRepoEnv(paths.hostGit))).stdout.trim() };
}

/** Whether `git status --porcelain=v2 -z` listed any change (its "# " records are headers). */
function statusHasChanges(out: string): boolean {
  return out.split('\0').some((record) => record !== '' && !record.startsWith('# '));
}

/**
 * The paths `git status --porcelain=v2 -z` listed as changed or untracked
 * (an untracked directory ends in "/"): what `add --all` reads.
 */
export function statusPaths(out: string): string[] {
  const records = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] as string;
    // Fields before the path: "1" 8, "2" 9 (then the original path as the next record), "u" 10, "?" 1.
    const fields = { '1': 8, '2': 9, u: 10, '?': 1 }[record.slice(0, 1)];
    if (fields === undefined || record[1] !== ' ') continue;
    paths.push(record.split(' ').slice(fields).join(' '));
    if (record.startsWith('2 ')) i += 1;
  }
  return paths;
}

/** The paths of the gitlinks (submodules) in a commit's tree; none when it is unknown. */
async function gitlinksOf(exec: GitExec, env: NodeJS.ProcessEnv, commit: string): Promise<Set<string>> {
  const out = await exec(['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', commit], env).then(
    (result) => result.stdout,
    () => '',
  );
  const links = out.split('\0').filter((entry) => entry.startsWith('160000 '));
  return new Set(links.map((entry) => entry.slice(entry.indexOf('\t') + 1)));
}

/**
 * Bring the agent's work into the host repository the way git takes work
 * from an untrusted remote, then take what it left uncommitted without
 * running anything its repository configures:
 * - its commits by a fetch from its checkout (upload-pack serves it; received objects are checked);
 * - its work tree read with our repository as GIT_DIR and a private index:
 *   its hooks, fsmonitor, filters and attributes files in .git are never read,
 *   a filter named in .gitattributes has no driver here, nested repositories
 *   are not entered, and links are stored as links.
 *
 * Every step prints something (simple-git waits 50 ms after a silent one) but
 * `read-tree`, needed only when the agent committed, and an `add` that finds
 * nothing, which `status` rules out first. An agent that changed nothing
 * costs one git process.
 */
export async function collectWork(exec: GitExec, paths: WorkPaths, start: string, message: string, identity: { name: string; email: string }): Promise<CollectedWork> {
  const problem = agentRepoProblem(paths.repo);
  if (problem !== undefined) throw new Error(`the agent's repository cannot be read safely: ${problem}`);
  ensureHostRepo(paths);
  // Only size and mtime tell a changed file: the workspace was chowned for the agent, which changes every ctime and owner.
  const index = join(paths.hostGit, 'agentctl-index');
  const treeEnv = {
    ...ownRepoEnv(paths.hostGit, { 'core.trustCtime': 'false', 'core.checkStat': 'minimal', 'diff.ignoreSubmodules': 'all' }),
    GIT_WORK_TREE: paths.repo,
    GIT_INDEX_FILE: index,
  };
  // An agent that made no commit (the usual case) needs no fetch: its HEAD is the start, whose index the host
  // made with the checkout before the agent ran. Otherwise its commits are fetched and the last one read in.
  const fetched = headIsStill(paths.repo, start) && existsSync(paths.startIndex) ? undefined : await fetchAgentHead(exec, paths);
  const head = fetched?.head ?? start;
  // A commit of uncommitted work that an earlier run in this workspace left (and maybe pushed) stays under this
  // run's work, so the next push is a fast-forward; the agent's own newer commits join it as a second parent.
  const earlier = readCollected(paths);
  const snapshot = earlier !== undefined && earlier.commit !== earlier.from ? earlier : undefined;
  const base = snapshot?.commit ?? head;
  const parents = snapshot === undefined || snapshot.from === head ? [base] : [base, head];
  pointHead(paths, base);
  if (base === start && fetched === undefined) copyIndexFile(paths.startIndex, index);
  else await exec(['read-tree', '--end-of-options', base], treeEnv);
  const status = await exec(['status', '--porcelain=v2', '-z', '--branch', '--untracked-files=normal', '--ignore-submodules=all'], treeEnv);
  const dirty = statusHasChanges(status.stdout);
  if (!dirty && base === start) return recordCollected(paths, { commit: start, changed: false }, head);
  // The start comes from the mirror; one that has gone from it (a forced push, then gc) counts as changed.
  const [startTree, baseTree] = await Promise.all([start, base].map((commit) => treeOf(exec, treeEnv, commit)));
  let tree = baseTree;
  if (dirty) {
    // Nothing of the work tree is read into the commit that is too large or that names a repository elsewhere.
    const problem = workTreeProblem(paths.repo, statusPaths(status.stdout), startTree === undefined ? new Set() : await gitlinksOf(exec, treeEnv, start));
    if (problem !== undefined) throw new Error(`the agent's work tree cannot be read safely: ${problem}`);
    await exec(['add', '--all', '--verbose'], treeEnv);
    tree = (await exec(['write-tree'], treeEnv)).stdout.trim();
  }
  if (tree === baseTree && parents.length === 1) return recordCollected(paths, { commit: base, changed: tree !== startTree }, head);
  const who = { GIT_AUTHOR_NAME: identity.name, GIT_AUTHOR_EMAIL: identity.email, GIT_COMMITTER_NAME: identity.name, GIT_COMMITTER_EMAIL: identity.email };
  const commit = (await exec(['commit-tree', tree as string, ...parents.flatMap((parent) => ['-p', parent]), '-m', message], { ...treeEnv, ...who })).stdout.trim();
  return recordCollected(paths, { commit, changed: tree !== startTree }, head);
}

function treeOf(exec: GitExec, env: NodeJS.ProcessEnv, commit: string): Promise<string | undefined> {
  return exec(['rev-parse', '--verify', '--end-of-options', `${commit}^{tree}`], env).then(
    (out) => out.stdout.trim(),
    () => undefined,
  );
}

/** The last collected commit and the agent HEAD it was made from: host-owned refs, written as files (no process). */
function readCollected(paths: WorkPaths): { commit: string; from: string } | undefined {
  try {
    const commit = readFileSync(join(paths.hostGit, COLLECTED_REF), 'utf8').trim();
    const from = readFileSync(join(paths.hostGit, COLLECTED_FROM_REF), 'utf8').trim();
    return /^[0-9a-f]{40,64}$/.test(commit) && /^[0-9a-f]{40,64}$/.test(from) ? { commit, from } : undefined;
  } catch {
    return undefined;
  }
}

function recordCollected(paths: WorkPaths, work: CollectedWork, from: string): CollectedWork {
  mkdirSync(join(paths.hostGit, 'refs', 'agentctl'), { recursive: true });
  writeFileSync(join(paths.hostGit, COLLECTED_FROM_REF), `${from}\n`);
  writeFileSync(join(paths.hostGit, COLLECTED_REF), `${work.commit}\n`);
  return work;
}

/**
 * Push a collected commit to `branch` at `url`, both from agentctl's own
 * record. A token, when given, travels in the git process's environment as
 * an HTTP header, never on a command line.
 */
export async function pushWork(exec: GitExec, hostGit: string, url: string, commit: string, branch: string, token: string | undefined, timeoutMs: number): Promise<void> {
  const auth: Record<string, string> = token === undefined ? {} : { 'http.extraHeader': `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` };
  // The operator's global configuration applies (as for the mirror); the repository's is ours.
  const env: NodeJS.ProcessEnv = { GIT_DIR: hostGit, GIT_CONFIG_NOSYSTEM: '1', ...configEnv({ 'core.hooksPath': '/dev/null', ...auth }) };
  await exec(['push', '--verbose', '--no-verify', '--end-of-options', url, `${commit}:refs/heads/${branch}`], env, timeoutMs);
}
