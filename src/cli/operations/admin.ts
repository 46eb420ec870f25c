import { z } from 'zod';
import { once, type Operation } from './operation.js';

// The operations on agentctl itself: queue, pools, image, machine, config, and the MCP server.

const json = z.boolean().default(false).describe('print JSON');
const config = z.string().optional();
const runtime = z.enum(['auto', 'docker', 'podman', 'apple', 'swarm']).optional().describe('auto, docker, podman, apple or swarm');

const runQueueInput = once(() =>
  z.object({
    follow: z.boolean().default(false).describe('keep going until nothing is queued or running'),
    supervise: z.boolean().default(false).describe('run as the background supervisor'),
    json: json.describe('print JSON lines'),
    config,
  }),
);

export const runQueueOp = {
  path: ['run-queue'],
  summary: 'start queued runs and finish ended ones; --follow keeps at it until the queue is empty (for CI)',
  example: 'agentctl run-queue --follow',
  positionals: [],
  flags: { supervise: { hidden: true } },
  get input() {
    return runQueueInput();
  },
  command: () => import('../commands/run-queue.js'),
} satisfies Operation;

const freezeInput = z.object({ json, config });

export const freezeOp = {
  path: ['freeze'],
  summary: 'stop starting new runs; queued runs wait, running ones go on',
  example: 'agentctl freeze',
  positionals: [],
  input: freezeInput,
  fixed: { frozen: true },
  command: () => import('../commands/freeze.js'),
} satisfies Operation;

export const thawOp = {
  path: ['thaw'],
  summary: 'start runs again after freeze',
  example: 'agentctl thaw',
  positionals: [],
  input: freezeInput,
  fixed: { frozen: false },
  command: () => import('../commands/freeze.js'),
} satisfies Operation;

const poolResumeInput = once(() => z.object({ args: z.array(z.string()).min(1, 'needs a pool name'), json, config }));

export const poolResumeOp = {
  path: ['pool', 'resume'],
  summary: "lift a pool's backoff pause early",
  example: 'agentctl pool resume codex',
  positionals: [{ name: 'pool', description: 'pool name, e.g. codex', required: true }],
  get input() {
    return poolResumeInput();
  },
  command: () => import('../commands/pool-resume.js'),
} satisfies Operation;

const gcInput = once(() =>
  z.object({
    olderThan: z.string().default('7d').describe('only workspaces finished longer ago than this (30m, 12h, 7d)'),
    dryRun: z.boolean().default(false).describe('only list what would be removed'),
    json,
    config,
  }),
);

export const gcOp = {
  path: ['gc'],
  summary: 'remove finished workspaces; never queued or running ones',
  example: 'agentctl gc --older-than 3d --dry-run',
  positionals: [],
  flags: { olderThan: { value: 'age' } },
  get input() {
    return gcInput();
  },
  command: () => import('../commands/gc.js'),
} satisfies Operation;

const imageBuildInput = once(() =>
  z.object({
    runtime,
    base: z.string().min(1, 'needs an image name').optional().describe('base image, a Debian 12 (default $AGENTCTL_IMAGE_BASE, else debian:bookworm-slim)'),
    tag: z.string().min(1, 'needs an image name').optional().describe('name of the image (default: the configured image)'),
    caFile: z.string().min(1, 'needs a file of PEM certificates').optional().describe('extra CA certificates (PEM) to trust in the image (default: $NODE_EXTRA_CA_CERTS)'),
    json: json.describe('print one JSON object at the end'),
    config,
  }),
);

export const imageBuildOp = {
  path: ['image', 'build'],
  summary: 'build the agent image from the Containerfile shipped with agentctl',
  example: 'agentctl image build --runtime podman',
  positionals: [],
  flags: { runtime: { value: 'name' }, base: { value: 'image' }, tag: { value: 'image' }, caFile: { value: 'file' } },
  get input() {
    return imageBuildInput();
  },
  command: () => import('../commands/image-build.js'),
} satisfies Operation;

const imageStatusInput = once(() => z.object({ runtime, json, config }));

export const imageStatusOp = {
  path: ['image', 'status'],
  summary: 'whether the configured image exists, its id, and the agent CLI versions inside',
  example: 'agentctl image status --json',
  positionals: [],
  flags: { runtime: { value: 'name' } },
  get input() {
    return imageStatusInput();
  },
  command: () => import('../commands/image-status.js'),
} satisfies Operation;

const doctorInput = once(() => z.object({ json, config }));

export const doctorOp = {
  path: ['doctor'],
  summary: 'check this machine: engines, image, GPU, API keys, forges, git, state dir, Node',
  example: 'agentctl doctor',
  positionals: [],
  get input() {
    return doctorInput();
  },
  command: () => import('../commands/doctor.js'),
} satisfies Operation;

const initInput = once(() =>
  z.object({
    project: z.boolean().default(false).describe('write .agentctl.yaml in this directory instead of the user file'),
    force: z.boolean().default(false).describe('replace an existing file'),
    agent: z.string().optional().describe('default agent'),
    org: z.string().optional().describe('default org for bare repo names'),
    forgeKind: z.string().optional().describe('github, forgejo or gitea'),
    forgeUrl: z.string().optional().describe('forge base URL, e.g. https://github.com'),
    tokenEnv: z.string().optional().describe('name of the variable that holds the forge token'),
    runtime: z.string().optional().describe('auto, docker, podman or apple'),
    json,
    config,
  }),
);

export const initOp = {
  path: ['init'],
  summary: 'write a commented starter config (asks a few questions on a terminal)',
  example: 'agentctl init --agent claude --org acme',
  positionals: [],
  flags: { agent: { value: 'name[:model]' }, forgeKind: { value: 'kind' }, forgeUrl: { value: 'url' }, tokenEnv: { value: 'NAME' }, runtime: { value: 'name' } },
  get input() {
    return initInput();
  },
  command: () => import('../commands/init.js'),
} satisfies Operation;

const configShowInput = once(() => z.object({ json, config }));

export const configShowOp = {
  path: ['config', 'show'],
  summary: 'print the merged configuration (secrets by name only)',
  example: 'agentctl config show --json',
  positionals: [],
  get input() {
    return configShowInput();
  },
  command: () => import('../commands/config-show.js'),
} satisfies Operation;

const mcpInput = once(() =>
  z.object({
    http: z.coerce.number().int().min(1).max(65535).optional().describe('serve Streamable HTTP on 127.0.0.1:PORT (bearer token from the variable mcp.token_env names) instead of stdio'),
    config,
  }),
);

export const mcpOp = {
  path: ['mcp'],
  summary: "serve agentctl's operations as MCP tools: on stdio, or with --http on 127.0.0.1",
  example: 'claude mcp add agentctl -- agentctl mcp',
  positionals: [],
  flags: { http: { value: 'port' } },
  get input() {
    return mcpInput();
  },
  command: () => import('../commands/mcp.js'),
} satisfies Operation;

const watchInput = once(() =>
  z.object({
    once: z.boolean().default(false).describe('poll every route once, dispatch what is labelled, and exit (for cron and CI)'),
    config,
  }),
);

export const watchOp = {
  path: ['watch'],
  summary: 'dispatch labelled issues by themselves: poll the routes under watch.routes, claim, dispatch and report back',
  example: 'agentctl watch --once',
  positionals: [],
  get input() {
    return watchInput();
  },
  command: () => import('../commands/watch.js'),
} satisfies Operation;
