import { z } from 'zod';
import { DEFAULT_LIMITS, memoryBytes } from '../container/hardening.js';
import { copyPathProblem, type CopyRole } from '../workspace/copy-plan.js';

/** Names of environment variables, never their values. */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable NAME such as GITHUB_TOKEN, not a value');

const duration = z.number().int().nonnegative();

/** A byte size as the engines' --memory takes it: digits with an optional k, m or g. */
const memorySize = z
  .string()
  .regex(/^[1-9][0-9]*[kmg]?$/i, 'must be a size such as "4g", "512m" or "1048576" (bytes)')
  // Below this the agent CLIs (Node) cannot even start; Docker refuses under 6m.
  .refine((size) => !/^[0-9]+[kmg]?$/i.test(size) || memoryBytes(size) >= 64 * 1024 ** 2, 'must be at least "64m"');

const pidsLimit = z.number().int().min(64).describe('Processes and threads an agent container may run at once.');
const memoryLimit = memorySize.describe('Memory an agent container may use, e.g. "4g" or "512m".');
const cpusLimit = z.number().positive().describe("CPUs an agent container may use (fractions allowed); at most the machine's own.");

const maxWaitMinutes = z
  .number()
  .int()
  .positive()
  .describe("Longest wait for a usage window, whatever reset time the agent's output names (the agent is not trusted with it).");
const limitBackoffSeconds = z.number().int().positive().describe('First wait when no reset time is given; it doubles with each limit in a row in the pool.');
const maxLimitBackoffMinutes = z.number().int().positive().describe('Longest wait of that doubling backoff.');
const maxLimitRequeues = z.number().int().nonnegative().describe('Times in a row one run goes back to the queue for a usage limit before it fails.');

/** Per agent: each setting left out falls back to usage_limits (a provider's window can be a day or a week). */
const agentUsageLimitsSchema = z
  .object({
    max_wait_minutes: maxWaitMinutes.optional(),
    backoff_seconds: limitBackoffSeconds.optional(),
    max_backoff_minutes: maxLimitBackoffMinutes.optional(),
    max_requeues: maxLimitRequeues.optional(),
  })
  .strict();

/** Per agent: each limit left out falls back to runtime.limits. */
const agentLimitsSchema = z.object({ pids: pidsLimit.optional(), memory: memoryLimit.optional(), cpus: cpusLimit.optional() }).strict();

const networkMode = z.enum(['bridge', 'none']);

/** Where and with what a Swarm task runs (runtime.swarm, pools.<name>.swarm, agents.<name>.swarm; the most specific wins per field). */
const swarmPlacementSchema = z
  .object({
    reserve_cpus: z.number().positive().optional().describe('CPUs the scheduler reserves on a node for each task (fractions allowed).'),
    reserve_memory: memorySize.optional().describe('Memory the scheduler reserves on a node for each task, e.g. "2g".'),
    generic_resources: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a resource kind such as "gpu"'), z.number().int().positive())
      .optional()
      .describe('Node generic resources each task needs, e.g. { gpu: 1 } (nodes advertise them in their dockerd config).'),
    constraints: z.array(z.string().min(1)).optional().describe('Placement constraints, e.g. ["node.labels.gpu==true", "node.role==worker"].'),
  })
  .strict();

export const forgeSchema = z
  .object({
    kind: z.enum(['github', 'forgejo', 'gitea']).describe('Which API the forge speaks.'),
    url: z.string().min(1).describe('Base URL repos are cloned from, e.g. https://github.com.'),
    api_url: z.string().optional().describe('API base URL; defaults to https://api.github.com or <url>/api/v1.'),
    token_env: envName.optional().describe('Name of the environment variable that holds the token.'),
    org: z.string().optional().describe('Default org for bare repo names on this forge.'),
    timeout: z.number().positive().optional().describe('Seconds to wait for each API call (default 10).'),
  })
  .strict();

export const agentSchema = z
  .object({
    command: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Custom agents: program and args; {prompt} or {prompt_file} mark where the prompt goes.'),
    stdin: z.boolean().optional().describe('Custom agents: feed the prompt on standard input.'),
    model: z.string().optional().describe('Default model when none is given as agent:model.'),
    args: z.array(z.string()).optional().describe('Extra arguments appended to the built-in command line.'),
    env: z.array(envName).optional().describe('Environment variable names passed through to the agent.'),
    host: z
      .boolean()
      .optional()
      .describe('Run this agent on the host instead of in a container: no sandbox at all, warned about on every dispatch.'),
    native: z.boolean().optional().describe('Older name of "host".'),
    limits: agentLimitsSchema.optional().describe('Overrides runtime.limits for this agent.'),
    network: networkMode.optional().describe('Overrides runtime.network for this agent.'),
    usage_limits: agentUsageLimitsSchema.optional().describe('Overrides usage_limits for this agent.'),
    pool: z.string().optional().describe('Pool the agent counts against; defaults to its base name.'),
    timeout: duration.optional().describe('Seconds before the run is stopped.'),
    image: z.string().optional().describe('Container image for this agent.'),
    swarm: swarmPlacementSchema.optional().describe('Swarm reservations and placement for this agent (runtime swarm).'),
  })
  .strict();

/** A copy entry that would write outside the checkout is a config error, found when the config is read. */
function refuseCopiesOutside(entries: Array<string | { from: string; to: string }>, ctx: z.RefinementCtx): void {
  entries.forEach((entry, index) => {
    const sides: Array<[string, CopyRole, PropertyKey[]]> =
      typeof entry === 'string' ? [[entry, 'entry', [index]]] : [[entry.from, 'from', [index, 'from']], [entry.to, 'to', [index, 'to']]];
    for (const [path, role, at] of sides) {
      const problem = copyPathProblem(path, role);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, path: at });
    }
  });
}

export const repoSchema = z
  .object({
    forge: z.string().optional().describe('Forge key for this repo.'),
    base: z.string().optional().describe('Base branch for new work and PRs.'),
    qa: z.array(z.string()).optional().describe('QA commands (run with sh -c) replacing detection.'),
    copy: z
      .array(z.union([z.string(), z.object({ from: z.string(), to: z.string() }).strict()], { error: 'must be a path such as .env, or { from: <path>, to: <path in the checkout> }' }))
      .superRefine(refuseCopiesOutside)
      .optional()
      .describe('Untracked files copied into new workspaces. An entry whose source or target crosses a link committed in the repository is refused.'),
    setup: z.string().optional().describe('Command run in the workspace before the agent.'),
  })
  .strict();

/** Labels a watched issue moves through; each defaults to the route's label with its last word replaced (see watchLabels). */
const watchLabelsSchema = z
  .object({
    running: z.string().min(1).optional().describe('Label while the run is queued or running (default: the route label with "ready" replaced by "running").'),
    done: z.string().min(1).optional().describe('Label after a completed run whose QA did not fail.'),
    blocked: z.string().min(1).optional().describe('Label while the agent waits for an answer.'),
    failed: z.string().min(1).optional().describe('Label after a failed or cancelled run, or one whose QA failed.'),
  })
  .strict();

export const watchRouteSchema = z
  .object({
    forge: z.string({ error: 'is required: the key of a forge under forges:' }).min(1).describe('Key of the configured forge (under forges:) whose issues are watched.'),
    repos: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name, e.g. acme/web'), { error: 'is required: a list of owner/name' })
      .min(1, 'needs at least one owner/name')
      .describe('Repositories on that forge, as owner/name.'),
    label: z.string().min(1).default('agent:ready').describe('Open issues (or PRs) carrying this label are dispatched.'),
    on: z.enum(['issues', 'pull_request']).default('issues').describe('Watch issues, or pull requests.'),
    agent: z.string().optional().describe('Agent to run (default: defaults.agent).'),
    template: z.string().optional().describe('Main prompt template, by name.'),
    persona: z.string().optional().describe('Persona to include.'),
    plan_template: z.string().optional().describe('Plan to include.'),
    vars: z.record(z.string(), z.string()).optional().describe('Template variables.'),
    priority: z.number().int().min(-1000).max(1000).default(0).describe('Queue priority of its runs; higher starts first.'),
    timeout: z.number().int().positive().optional().describe('Seconds before a run is stopped (default: timeouts.agent).'),
    push: z.boolean().optional().describe('Commit, push and open a PR after a completed run (default: defaults.push).'),
    poll_seconds: z.number().int().min(1).default(60).describe('Seconds between two polls of this route.'),
    labels: watchLabelsSchema.optional().describe('Names of the labels a claimed issue moves through.'),
  })
  .strict();

export const configSchema = z
  .object({
    defaults: z
      .object({
        agent: z.string().default('codex').describe('Agent used when --agent is not given.'),
        forge: z.string().optional().describe('Forge key used for org/name repos.'),
        org: z.string().optional().describe('Org used for bare repo names.'),
        base: z.string().optional().describe('Base branch; defaults to the remote default branch.'),
        template: z.string().default('coding').describe('Main prompt template.'),
        persona: z.string().optional().describe('Persona used when --persona is not given.'),
        push: z.boolean().default(false).describe('Commit, push and open a PR after a completed run whose QA did not fail.'),
      })
      .strict()
      .prefault({}),
    forges: z
      .record(z.string(), forgeSchema)
      .default({ github: { kind: 'github', url: 'https://github.com', token_env: 'GITHUB_TOKEN' } })
      .describe('Forges by key; github.com (token in GITHUB_TOKEN) when none are configured.'),
    agents: z.record(z.string(), agentSchema).default({}).describe('Built-in agent overrides and custom agents.'),
    pools: z
      .record(
        z.string(),
        z
          .object({
            limit: z.number().int().positive().describe('Agents of this pool running at once.'),
            agents: z.array(z.string()).optional().describe('Agents that count against this pool (default: the agent of the same name).'),
            swarm: swarmPlacementSchema.optional().describe("Swarm reservations and placement for this pool's agents (runtime swarm)."),
          })
          .strict(),
      )
      .default({})
      .describe('Concurrency limit per pool.'),
    concurrency: z
      .object({
        default_limit: z.number().int().positive().default(1).describe('Limit of a pool with no entry.'),
        global: z.number().int().positive().optional().describe('Limit over all pools.'),
      })
      .strict()
      .prefault({}),
    runtime: z
      .object({
        prefer: z.enum(['auto', 'docker', 'podman', 'apple', 'swarm']).default('auto').describe('Container runtime; "swarm" runs each dispatch as a Docker Swarm job (never chosen by auto).'),
        docker_host: z.string().optional().describe('Docker engine API, e.g. unix:///var/run/docker.sock; DOCKER_HOST overrides.'),
        podman_host: z.string().optional().describe('Podman API socket, e.g. unix:///run/podman/podman.sock; CONTAINER_HOST overrides.'),
        ssh: z
          .object({
            identity: z.string().optional().describe('Private key file for ssh:// engines; ssh-agent (SSH_AUTH_SOCK) when unset.'),
            known_hosts: z.string().optional().describe('known_hosts file that ssh:// engines are checked against; ~/.ssh/known_hosts when unset.'),
          })
          .strict()
          .prefault({}),
        swarm: swarmPlacementSchema
          .extend({
            host: z.string().optional().describe('Swarm manager API (unix://, ssh://user@host, tcp:// with TLS); the Docker endpoint when unset.'),
            callback_address: z
              .string()
              .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host or host:port, e.g. "10.0.0.5" or "10.0.0.5:7450"')
              .optional()
              .describe("Address the swarm's nodes reach this machine at, host or host:port, for the workspace transfer; this machine's first non-loopback IPv4 when unset."),
          })
          .strict()
          .prefault({})
          .describe('Docker Swarm (runtime.prefer: swarm): the manager, the transfer address, and reservations and placement for every task.'),
        image: z.string().optional().describe('Agent image; AGENTCTL_IMAGE overrides.'),
        gpu: z.boolean().default(false).describe('Pass GPUs to agents.'),
        limits: z
          .object({
            pids: pidsLimit.default(DEFAULT_LIMITS.pids),
            memory: memoryLimit.default(DEFAULT_LIMITS.memory),
            cpus: cpusLimit.default(DEFAULT_LIMITS.cpus),
          })
          .strict()
          .prefault({})
          .describe('Process, memory and CPU limits of every agent, QA and probe container.'),
        network: networkMode
          .default('bridge')
          .describe('Network of agent containers: "bridge" (the engine\'s default network) or "none" (loopback only).'),
      })
      .strict()
      .prefault({}),
    timeouts: z
      .object({
        agent: duration.default(3600).describe('Seconds an agent may run.'),
        grace: duration.default(5).describe('Seconds between SIGTERM and SIGKILL.'),
        idle: duration.default(0).describe('Seconds without output before a run is stopped; 0 is off.'),
        // At least a second, at most a day: 0 would fail every QA, and a timer beyond ~24 days fires at once.
        qa: z.number().int().positive().max(86_400).default(1800).describe('Seconds QA may run before its container is stopped and QA fails (1 to 86400).'),
        transfer: z
          .number()
          .int()
          .positive()
          .max(86_400)
          .default(600)
          .describe('Seconds one copy of a workspace to or from a remote engine (ssh://, tcp://) may take before it is aborted (1 to 86400).'),
      })
      .strict()
      .prefault({}),
    qa: z
      .object({
        enabled: z.boolean().default(true).describe('Run QA after a completed run.'),
        commands: z.array(z.string()).optional().describe('QA commands for every repo, replacing detection.'),
      })
      .strict()
      .prefault({}),
    backoff: z
      .object({
        fast_fail_seconds: duration.default(60).describe('A failure sooner than this after start is fast.'),
        threshold: z.number().int().positive().default(3).describe('Fast failures in a row that pause a pool.'),
        pause_minutes: duration.default(30).describe('How long a pool is paused.'),
      })
      .strict()
      .prefault({}),
    usage_limits: z
      .object({
        max_wait_minutes: maxWaitMinutes.default(1440),
        backoff_seconds: limitBackoffSeconds.default(60),
        max_backoff_minutes: maxLimitBackoffMinutes.default(60),
        max_requeues: maxLimitRequeues.default(10),
      })
      .strict()
      .prefault({}),
    git: z
      .object({
        name: z.string().default('agentctl').describe('Author name of agent commits.'),
        email: z.string().default('agentctl@localhost').describe('Author email of agent commits.'),
      })
      .strict()
      .prefault({}),
    repos: z.record(z.string(), repoSchema).default({}).describe('Per-repo settings keyed by org/name.'),
    mcp: z
      .object({
        token_env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')
          .default('AGENTCTL_MCP_TOKEN')
          .describe('Variable holding the bearer token of `agentctl mcp --http`.'),
      })
      .strict()
      .prefault({}),
    watch: z
      .object({
        routes: z.array(watchRouteSchema).default([]).describe('Labelled-issue queues that `agentctl watch` polls and dispatches.'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ForgeConfig = z.infer<typeof forgeSchema>;
export type WatchRoute = z.infer<typeof watchRouteSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;

/** Examples of a correct entry, shown when a section is wrong. */
export const CONFIG_EXAMPLES: Record<string, string> = {
  defaults: 'defaults:\n  agent: codex\n  org: acme\n  forge: github',
  forges: 'forges:\n  github:\n    kind: github\n    url: https://github.com\n    token_env: GITHUB_TOKEN\n  codeberg:\n    kind: forgejo\n    url: https://codeberg.org\n    token_env: FORGEJO_TOKEN',
  agents: 'agents:\n  claude:\n    model: sonnet\n  mybot:\n    command: [mybot, --prompt-file, "{prompt_file}"]\n    env: [MYBOT_API_KEY]',
  pools: 'pools:\n  codex:\n    limit: 2',
  concurrency: 'concurrency:\n  default_limit: 1\n  global: 4',
  runtime: 'runtime:\n  prefer: podman\n  image: localhost/agentctl-agent:latest\n  gpu: false\n  network: bridge\n  limits:\n    pids: 2048\n    memory: 4g\n    cpus: 2',
  timeouts: 'timeouts:\n  agent: 3600\n  grace: 5',
  qa: 'qa:\n  enabled: true',
  backoff: 'backoff:\n  fast_fail_seconds: 60\n  threshold: 3\n  pause_minutes: 30',
  usage_limits: 'usage_limits:\n  max_wait_minutes: 1440\n  backoff_seconds: 60\n  max_backoff_minutes: 60\n  max_requeues: 10',
  git: 'git:\n  name: agentctl\n  email: agentctl@example.com',
  mcp: 'mcp:\n  token_env: AGENTCTL_MCP_TOKEN',
  watch: 'watch:\n  routes:\n    - forge: github\n      repos: [acme/web]\n      label: "agent:ready"\n      agent: claude\n      priority: 5\n      poll_seconds: 60',
  repos: 'repos:\n  acme/web:\n    base: develop\n    qa: ["npm ci", "npm test"]',
};
