import { existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildAgentCommand, type AgentCommand } from '../core/agents/agent-argv.js';
import { resolveAgent, type ResolvedAgent } from '../core/agents/resolve-agent.js';
import { containerSettings, credentialDir, hostAgentWarning } from '../core/agents/agent-sandbox.js';
import { appleUnsupported } from '../core/container/hardening.js';
import { hostGateway, localModelUrl } from '../core/container/host-gateway.js';
import type { Config } from '../core/config/schema.js';
import {
  agentMounts,
  buildContainerSpec,
  CREDENTIALS_MOUNT,
  DEFAULT_IMAGE,
  LABEL_PREFIX,
  renderRunArgv,
  type RuntimeName,
} from '../core/container/container-spec.js';
import { AgentctlError, ExitCode, usageError } from '../core/errors.js';
import { assertRuntimeSupported } from '../core/runtime-selection.js';
import { adhocId, assertNumber, assertRefName, describeTarget, type Target } from '../core/names.js';
import { assemblePrompt } from '../core/prompt/assemble-prompt.js';
import { fenceNonce, fenceUntrusted } from '../core/prompt/fence.js';
import { namesHostPath, parseRepoSpec, type ForgeEndpoint, type RepoRef } from '../core/repo-spec.js';
import { isReviewAgent, repoReadOnly } from '../core/run/read-only-target.js';
import type { RunPlan } from '../core/run/run-plan.js';
import { planWorkspace, type WorkspacePlan } from '../core/workspace/plan-workspace.js';
import { planCopies, type CopyStep } from '../core/workspace/copy-plan.js';
import type { Deps } from '../deps.js';
import { stateHome } from '../deps.js';
import { userConfigPath } from '../config/load-config.js';
import { wrapContainerArgv, wrapHostArgv } from '../core/run/wrap-argv.js';
import { credentialFiles } from './credential-files.js';
import { forgeNumber, issueContext, pullContext } from '../core/forge/forge-plan.js';
import type { ForgeAccess } from '../forge/forge-access.js';
import type { ForgeLink } from '../core/forge/forge-link.js';
import { runFiles } from '../run/run-files.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { TemplateStore } from '../templates/template-store.js';
import { prepareWorkspace, type WorkspaceRecord } from '../workspace/prepare-workspace.js';
import { copyIntoCheckout, readRepoInstructions } from '../workspace/repo-files.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { displayText } from '../core/text/display-line.js';

export interface DispatchRequest {
  repo: string;
  task?: string | undefined;
  agent?: string | undefined;
  issue?: string | undefined;
  pr?: string | undefined;
  branch?: string | undefined;
  tag?: string | undefined;
  org?: string | undefined;
  template?: string | undefined;
  persona?: string | undefined;
  planTemplate?: string | undefined;
  vars: Record<string, string>;
  runtime?: RuntimeName | 'auto' | undefined;
  gpu?: boolean | undefined;
  /** Commit, push and open a PR after a completed run whose QA passed. */
  push?: boolean | undefined;
  /** Post the review as one PR comment (review agents). */
  comment?: boolean | undefined;
  maxBudgetUsd?: number | undefined;
}


export interface PreparedDispatch {
  workspace: string;
  repo: RepoRef;
  target: Target;
  record: WorkspaceRecord;
  reused: boolean;
  mirrorCreated: boolean;
  agent: ResolvedAgent;
  prompt: string;
  promptPath: string;
  command: AgentCommand;
  run: RunPlan;
  /** Secret and setting variable names passed to the agent that are set here. */
  envPassed: string[];
  /** Names the agent could use that are not set. */
  envMissing: string[];
  template: string;
  persona: string | undefined;
  plan: string | undefined;
  /** Where the run reports on its forge, when the target is an issue or PR on a configured forge. */
  forge: ForgeLink | undefined;
  issueTitle: string | undefined;
  /** Forge problems met while preparing; never fatal. */
  warnings: string[];
  /** Files copied into a new checkout (repos.<repo>.copy). */
  copies: CopyStep[];
  /** Command run in the workspace before the agent (repos.<repo>.setup). */
  setup: string | undefined;
}

function targetOf(req: DispatchRequest, deps: Deps): Target {
  const given = (['issue', 'pr', 'branch', 'tag'] as const).filter((key) => req[key] !== undefined);
  if (given.length > 1) {
    throw usageError('conflicting_targets', `--${given.join(' and --')} cannot be used together`, 'pick one of --issue, --pr, --branch or --tag');
  }
  if (req.issue !== undefined) return { kind: 'issue', number: assertNumber('issue', req.issue) };
  if (req.pr !== undefined) return { kind: 'pr', number: assertNumber('pr', req.pr) };
  if (req.branch !== undefined) return { kind: 'branch', name: assertRefName('branch', req.branch) };
  if (req.tag !== undefined) return { kind: 'tag', name: assertRefName('tag', req.tag) };
  return { kind: 'adhoc', id: adhocId(deps.clock.now(), deps.random.float) };
}

function defaultTask(target: Target, review: boolean): string | undefined {
  if (review) return `Review the changes of ${describeTarget(target)} without modifying anything.`;
  switch (target.kind) {
    case 'issue':
      return `Resolve issue #${target.number}.`;
    case 'pr':
      return `Address the open points of pull request #${target.number}.`;
    default:
      return undefined;
  }
}

function forgeEndpoint(config: Config): ForgeEndpoint | undefined {
  const key = config.defaults.forge ?? Object.keys(config.forges)[0];
  if (key === undefined) return { key: 'github', url: 'https://github.com' };
  const forge = config.forges[key];
  if (forge === undefined) {
    throw usageError('unknown_forge', `defaults.forge names forge "${key}", which is not configured`, `configured forges: ${Object.keys(config.forges).join(', ') || '(none)'}`);
  }
  return { key, url: forge.url };
}

interface ForgeContext {
  text: string;
  /** The PR's base branch. */
  base?: string | undefined;
  link: ForgeLink | undefined;
  issueTitle: string | undefined;
  warnings: string[];
}

/**
 * The issue's or PR's text for the prompt, from the forge. When a --task
 * was given, a forge that is down or refuses costs the context, with a
 * warning. Without one the text is the whole task: a run without it would be
 * paid for and aimless, so the dispatch is refused before anything is made.
 */
async function fetchForgeContext(forges: ForgeAccess, repo: RepoRef, target: Target, required: boolean): Promise<ForgeContext> {
  const number = forgeNumber(target);
  const none: ForgeContext = { text: '', link: undefined, issueTitle: undefined, warnings: [] };
  if (number === undefined) return none;
  let found: Awaited<ReturnType<ForgeAccess['forRepo']>>;
  try {
    found = await forges.forRepo(repo);
  } catch (error) {
    if (required) throw error;
    return { ...none, warnings: [(error as Error).message] };
  }
  if (found === undefined) return none;
  const { forge, repo: id } = found;
  const link: ForgeLink = { key: forge.key, kind: forge.kind, owner: id.owner, repo: id.repo, number };
  try {
    if (target.kind === 'pr') {
      const [pull, files] = await Promise.all([forge.getPull(id, number), forge.listPullFiles(id, number)]);
      return { text: pullContext(pull, files), base: pull.base, link, issueTitle: pull.title, warnings: [] };
    }
    const [issue, comments] = await Promise.all([forge.getIssue(id, number), forge.listComments(id, number, 10)]);
    // agentctl's own comments (summaries, questions, reviews) are not context for the next run.
    const human = comments.filter((c) => !c.body.includes('<!-- agentctl:'));
    return { text: issueContext(issue, human), link, issueTitle: issue.title, warnings: [] };
  } catch (error) {
    const what = target.kind === 'pr' ? 'pull request' : 'issue';
    if (required) {
      throw new AgentctlError('forge_context_missing', `no text for ${describeTarget(target)} from forge ${forge.key}, and no --task: ${(error as Error).message}`, {
        exitCode: ExitCode.forge,
        hint: `dispatch again once the forge answers, or give --task "…" to run without the ${what}'s text`,
        cause: error,
      });
    }
    return { text: '', link, issueTitle: undefined, warnings: [`no ${what} context from forge ${forge.key}: ${(error as Error).message}`] };
  }
}

/**
 * A --repo that is written as a path (./x, ../x, /x, ~/x) or names a git
 * bundle is a local repository; "org/name" never is, even if such a directory
 * happens to exist here.
 */
function localRepoPath(input: string, deps: Deps): string | undefined {
  if (!namesHostPath(input) || /^file:/i.test(input) || input.includes('::')) return undefined;
  const path = input.startsWith('~/') ? join(deps.home, input.slice(2)) : resolve(deps.cwd, input);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return undefined;
  }
  const isRepo = isFile ? path.endsWith('.bundle') : existsSync(join(path, '.git')) || existsSync(join(path, 'HEAD'));
  if (!isRepo) {
    throw usageError('invalid_repo', `invalid --repo ${JSON.stringify(input)}: ${path} is not a git repository or bundle`, 'point --repo at a git checkout, a bare repo or a .bundle file');
  }
  return path;
}

function templateRoots(deps: Deps, projectDir: string | undefined): string[] {
  const roots: string[] = [];
  if (projectDir !== undefined) roots.push(join(projectDir, '.agentctl'));
  roots.push(dirname(userConfigPath(deps.env, deps.home)));
  roots.push(PACKAGE_ROOT);
  return roots;
}

/**
 * Everything up to starting the agent: validate, prepare the workspace,
 * render the prompt, and plan the exact command. Nothing is written into a
 * reused workspace: its prompt, job and manifest are written on admission.
 */
export async function prepareDispatch(
  req: DispatchRequest,
  config: Config,
  projectDir: string | undefined,
  deps: Deps,
  chooseRuntime: (prefer: 'auto' | RuntimeName, image: string) => Promise<RuntimeName>,
  /** Called before an existing workspace is reused; finishes an ended run, throws while one is live. */
  settleExisting: (root: string) => Promise<void> = async (root) => {
    // Only a reused workspace needs the run modules; a fresh dry run does not load them.
    const [{ readStatus }, { alreadyRunning }] = await Promise.all([import('../run/status-store.js'), import('../run/launch-run.js')]);
    if (readStatus(root)?.state === 'running') throw alreadyRunning(root);
  },
): Promise<PreparedDispatch> {
  // 1. Validate every input before touching the disk or the network.
  const target = targetOf(req, deps);
  const agent = resolveAgent(req.agent ?? config.defaults.agent, config);
  const repo = parseRepoSpec(req.repo, { org: req.org ?? config.defaults.org, forge: forgeEndpoint(config), localPath: localRepoPath(req.repo, deps) });
  // Refused before anything is fetched or written: `--runtime apple` off macOS is a mistake, not an engine that is down.
  if (!agent.native) assertRuntimeSupported(req.runtime ?? config.runtime.prefer, deps.platform);
  const review = isReviewAgent(agent);
  const task = req.task ?? defaultTask(target, review);
  if (task === undefined || task.trim() === '') {
    throw usageError('missing_task', 'no task given', 'pass --task "what the agent should do", or target an --issue or --pr');
  }
  const repoSettings = config.repos[repo.slug];
  const store = new TemplateStore({ roots: templateRoots(deps, projectDir), cwd: deps.cwd });
  const templateName = req.template ?? (review ? 'review' : config.defaults.template);
  const template = store.load('template', templateName);
  const conventions = store.load('template', 'conventions');
  const security = store.load('template', 'security');
  const personaName = req.persona ?? config.defaults.persona;
  const persona = personaName === undefined ? undefined : store.load('persona', personaName);
  const plan = req.planTemplate === undefined ? undefined : store.load('plan', req.planTemplate);

  const baseVars = (context: string, branch: string, base: string): Record<string, string> => ({
    task,
    repo: repo.slug,
    target: describeTarget(target),
    branch,
    base_branch: base,
    agent: agent.spec,
    context,
    ...req.vars,
  });
  const promptParts = { template, conventions, security, persona, plan };
  // Render once with stand-ins so a bad template fails before any clone.
  assemblePrompt({ ...promptParts, repoInstructions: [], vars: baseVars('', '', '') });

  // 2. The forge's context and the engine check are network and engine round trips: they run beside the git work.
  // Image: per-agent config, then runtime.image, then AGENTCTL_IMAGE, then the default agent image.
  const image = agent.settings.image ?? config.runtime.image ?? deps.env.AGENTCTL_IMAGE ?? DEFAULT_IMAGE;
  const contextFetch = fetchForgeContext(deps.forges(config), repo, target, req.task === undefined);
  const runtimeCheck = agent.native ? Promise.resolve(undefined) : chooseRuntime(req.runtime ?? config.runtime.prefer, image);
  // Each is awaited below, maybe after the other has failed: that must not count as unhandled.
  for (const pending of [contextFetch, runtimeCheck]) pending.catch(() => undefined);
  // A pull request's base comes from the forge.
  const prContext = target.kind === 'pr' ? await contextFetch : undefined;
  const wsPlan: WorkspacePlan = planWorkspace(stateHome(deps), repo, target, prContext?.base ?? repoSettings?.base ?? config.defaults.base);
  // A repo without a mirror yet is cloned from the network: a missing engine, or a forge without the task's text, fails before that clone.
  if (!existsSync(wsPlan.mirrorDir)) await Promise.all([runtimeCheck, req.task === undefined ? contextFetch : undefined]);
  let prompt = '';
  let repoWarnings: string[] = [];
  const copies = planCopies(repoSettings?.copy ?? [], deps.home, `repos.${repo.slug}.copy`);
  const prepared = await prepareWorkspace(await deps.git(), wsPlan, deps.clock.now(), async (root, fresh) => {
    // A workspace is put in place only once the engine is known to answer.
    const [, forgeContext] = await Promise.all([runtimeCheck, contextFetch]);
    // The running agent's prompt and files are not ours to touch.
    if (fresh) copyIntoCheckout(workspaceLayout(root).repo, copies);
    else await settleExisting(root);
    const layout = workspaceLayout(root);
    const record = JSON.parse(readFileSync(layout.record, 'utf8')) as WorkspaceRecord;
    const instructions = readRepoInstructions(layout.repo);
    repoWarnings = instructions.warnings;
    prompt = assemblePrompt({
      ...promptParts,
      repoInstructions: instructions.docs,
      // A fresh nonce per prompt (drawn only when there is forge text) fences what the forge wrote.
      vars: baseVars(forgeContext.text === '' ? '' : fenceUntrusted(forgeContext.text, fenceNonce(deps.random.uuid())), record.branch ?? '', record.base ?? ''),
    });
    // The prompt is written only once the run is admitted (see admitJob): a refused dispatch must not touch a live run's files.
  });
  if (prepared.movedFrom !== undefined) {
    deps.io.err(`note: ${repo.slug} is now reached at ${repo.cloneUrl} (was ${prepared.movedFrom}): workspace ${wsPlan.root} is kept and follows it\n`);
  }
  // Both have settled: the finish step above waited for them.
  const [runtime, context] = await Promise.all([runtimeCheck, contextFetch]);
  const warnings = [...context.warnings, ...repoWarnings, ...sandboxWarnings(agent, runtime, config)];
  for (const warning of warnings) deps.io.err(`warning: ${displayText(warning)}\n`);

  const promptPathInside = runFiles(wsPlan.root, agent.base, !agent.native).prompt;
  const command = buildAgentCommand({
    agent,
    prompt,
    promptPath: promptPathInside,
    base: prepared.record.base ?? 'main',
    sessionId: agent.builtin === 'claude' ? deps.random.uuid() : undefined,
    maxBudgetUsd: req.maxBudgetUsd,
  });
  const envPassed = command.env.filter((name) => deps.env[name] !== undefined && deps.env[name] !== '');
  const envMissing = command.env.filter((name) => !envPassed.includes(name));

  let run: RunPlan;
  if (runtime === undefined) {
    const files = runFiles(wsPlan.root, agent.base, false);
    const argv = wrapHostArgv(command.argv, {
      log: files.log,
      stdin: command.stdin === undefined ? undefined : files.prompt,
      exitCode: files.exitCode,
      pid: files.pid,
      setup: repoSettings?.setup,
    });
    run = { kind: 'host', cwd: wsPlan.repoDir, argv, env: envPassed.map((name) => ({ name })) };
  } else {
    const chosen = runtime;
    const files = runFiles(wsPlan.root, agent.base, true);
    const credentials = credentialDir(agent);
    // Its top-level regular files only, each mounted on its own: the directory also holds other projects' transcripts.
    const configDirs = (credentials === undefined ? [] : [{ name: credentials, hostPath: join(deps.home, credentials) }])
      .map((dir) => ({ ...dir, files: credentialFiles(dir.hostPath) }))
      .filter((dir) => dir.files.length > 0);
    const settings = containerSettings(config, agent);
    // Ollama on the host, by the name this engine gives the host (none without a network).
    const gateway = hostGateway(chosen, settings.network);
    const localModel = agent.builtin === 'local' && deps.env.CODEX_OSS_BASE_URL === undefined && gateway !== undefined;
    const spec = buildContainerSpec({
      image,
      runId: `${repo.org}-${repo.name}-${wsPlan.slot}`,
      workspaceRoot: wsPlan.root,
      mounts: agentMounts(wsPlan.root, repoReadOnly({ target, review })),
      labels: {
        [`${LABEL_PREFIX}.workspace`]: wsPlan.root,
        [`${LABEL_PREFIX}.agent`]: agent.spec,
        [`${LABEL_PREFIX}.repo`]: repo.slug,
      },
      configDirs,
      envNames: envPassed,
      gitIdentity: config.git,
      hostUser: deps.user,
      gpu: req.gpu ?? config.runtime.gpu,
      runtime: chosen,
      argv: wrapContainerArgv(command.argv, {
        log: files.log,
        stdin: command.stdin === undefined ? undefined : files.prompt,
        exitCode: files.exitCode,
        setup: repoSettings?.setup,
        credentials: configDirs.length === 0 ? undefined : `${CREDENTIALS_MOUNT}/${credentials}`,
      }),
      stdin: false,
      autoRemove: true,
      ...settings,
      hostCpus: availableParallelism(),
      extraEnv: localModel ? [{ name: 'CODEX_OSS_BASE_URL', value: localModelUrl(gateway) }] : [],
    });
    run = { kind: 'container', runtime: chosen, spec, argv: renderRunArgv(chosen, spec) };
  }
  return {
    workspace: wsPlan.root,
    repo,
    target,
    record: prepared.record,
    reused: prepared.reused,
    mirrorCreated: prepared.mirrorCreated,
    agent,
    prompt,
    promptPath: workspaceLayout(wsPlan.root).prompt,
    command,
    run,
    envPassed,
    envMissing,
    template: template.name,
    persona: persona?.name,
    plan: plan?.name,
    forge: context.link,
    issueTitle: context.issueTitle,
    warnings,
    copies,
    setup: repoSettings?.setup,
  };
}

/** What this run goes without: all of the sandbox on the host, part of it on Apple's engine. */
function sandboxWarnings(agent: ResolvedAgent, runtime: RuntimeName | undefined, config: Config): string[] {
  if (runtime === undefined) return [hostAgentWarning(agent.base)];
  if (runtime !== 'apple') return [];
  const missing = appleUnsupported(containerSettings(config, agent).limits);
  return [`Apple container cannot apply ${missing.join(', ')} to ${agent.base}`];
}
