import type { Config, WatchRoute } from '../../core/config/schema.js';
import { AgentctlError, ExitCode, isAgentctlError, usageError } from '../../core/errors.js';
import type { RepoId } from '../../forge/forge.js';
import { reconcileRun } from '../../run/finish-run.js';
import { readStatus } from '../../run/status-store.js';
import { processAlive } from '../../fs/process-alive.js';
import { watch, type WatchPorts } from '../../watch/watcher.js';
import { stateHome, type IO } from '../../deps.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { watchOp } from '../operations/admin.js';
import { answerOp, dispatchOp } from '../operations/runs.js';
import { parseOptions } from '../parse-options.js';
import { runContextFor } from '../run-context.js';
import { startDispatch } from '../start-dispatch.js';

/** An IO that keeps stdout (a command's JSON result) and passes notes on to the watcher's own stderr. */
function captureIO(deps: Deps): IO & { stdout(): string } {
  let out = '';
  return { isTTY: false, stdinIsTTY: false, out: (text) => void (out += text), err: (text) => deps.io.err(text), stdout: () => out };
}

/** A route naming a forge the merged config does not have could never be polled: refused up front, naming the field. */
function checkRoutes(config: Config): void {
  if (config.watch.routes.length === 0) {
    throw usageError('no_watch_routes', 'nothing to watch: the config has no watch.routes', 'add a route under "watch: routes:" (see "Watch a label" in the README)');
  }
  config.watch.routes.forEach((route, index) => {
    if (!Object.hasOwn(config.forges, route.forge)) {
      throw new AgentctlError('invalid_config', `invalid config: watch.routes[${index}].forge: names forge "${route.forge}", which is not under forges:`, {
        exitCode: ExitCode.config,
        hint: `configured forges: ${Object.keys(config.forges).join(', ') || '(none)'}`,
      });
    }
  });
}

/**
 * The dispatch of one labelled issue: the same service as `agentctl
 * dispatch --json` (queue, pool limits, priorities, backoff), with the
 * route's settings and its forge as the one org/name repos resolve on.
 */
async function dispatchFor(route: WatchRoute, repo: RepoId, number: number, config: Config, projectDir: string | undefined, deps: Deps): Promise<string> {
  const target = route.on === 'pull_request' ? { pr: String(number) } : { issue: String(number) };
  const opts = parseOptions(
    dispatchOp.input,
    {
      repo: `${repo.owner}/${repo.repo}`,
      ...target,
      agent: route.agent,
      template: route.template,
      persona: route.persona,
      planTemplate: route.plan_template,
      var: Object.entries(route.vars ?? {}).map(([k, v]) => `${k}=${v}`),
      priority: route.priority,
      timeout: route.timeout,
      push: route.push,
      json: true,
    },
    'watch',
  );
  const request = {
    repo: opts.repo,
    ...target,
    agent: opts.agent,
    template: opts.template,
    persona: opts.persona,
    planTemplate: opts.planTemplate,
    vars: route.vars ?? {},
  };
  const routed: Config = { ...config, defaults: { ...config.defaults, forge: route.forge } };
  const io = captureIO(deps);
  await startDispatch(opts, request, routed, projectDir, { ...deps, io });
  const status = JSON.parse(io.stdout()) as { workspace?: unknown };
  if (typeof status.workspace !== 'string') throw new AgentctlError('watch_dispatch', 'the dispatch reported no workspace', { exitCode: ExitCode.failure });
  return status.workspace;
}

/** `agentctl answer WORKSPACE --from-forge`, through its operation: false while there is no trusted reply yet. */
async function answerFromForge(workspace: string, configFile: string | undefined, deps: Deps): Promise<boolean> {
  const command = await (answerOp.command as NonNullable<typeof answerOp.command>)();
  try {
    await command.run({ args: [workspace], fromForge: true, json: true, config: configFile }, { ...deps, io: captureIO(deps) });
    return true;
  } catch (error) {
    if (isAgentctlError(error) && (error.code === 'no_answer_yet' || error.code === 'no_trusted_answer' || error.code === 'not_blocked')) return false;
    throw error;
  }
}

/**
 * `agentctl watch`: poll the configured routes, claim labelled issues
 * exactly once, dispatch them, and report outcomes on the forge. Runs until
 * SIGINT or SIGTERM; --once does one round and exits (6 when a forge failed).
 */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(watchOp.input, raw, 'watch');
  const { config, projectDir } = await loadConfigFor(deps, opts.config);
  checkRoutes(config);
  const ctx = await runContextFor(deps, config);
  const ports: WatchPorts = {
    home: stateHome(deps),
    pid: deps.pid,
    clock: deps.clock,
    forge: (key) => ctx.forges.byKey(key),
    dispatch: (route, repo, number) => dispatchFor(route, repo, number, config, projectDir, deps),
    answer: (workspace) => answerFromForge(workspace, opts.config, deps),
    runStatus: async (workspace) => (readStatus(workspace) === undefined ? undefined : reconcileRun(workspace, ctx)),
    alive: processAlive,
    notify: (line) => deps.io.err(`${line}\n`),
  };
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const failing = await watch(config.watch.routes, ports, { once: opts.once, signal: stop.signal });
    return opts.once && failing > 0 ? ExitCode.forge : ExitCode.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
