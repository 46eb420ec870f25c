import { hostAgentWarning } from '../agents/agent-sandbox.js';
import type { RuntimeName } from '../container/container-spec.js';
import { isAgentctlError } from '../errors.js';
import { selectRuntime, type ProbeResult } from '../runtime-selection.js';
import { agentCliChecks, type AgentCliFact } from './agent-cli-checks.js';
import { swarmChecks, type SwarmFacts } from './swarm-checks.js';
import { compareVersions } from './versions.js';

export { compareVersions } from './versions.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  id: string;
  status: CheckStatus;
  message: string;
  /** What to do about it; null when there is nothing to do. */
  fix: string | null;
}

/** API-key variables of the agents, by the agent that reads them. Values are never part of the facts. */
export const AGENT_KEYS: ReadonlyArray<{ agent: string; vars: readonly string[]; configDir: string | undefined }> = [
  { agent: 'claude', vars: ['ANTHROPIC_API_KEY'], configDir: '.claude' },
  { agent: 'codex', vars: ['CODEX_API_KEY', 'OPENAI_API_KEY'], configDir: '.codex' },
  { agent: 'gemini', vars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], configDir: '.gemini' },
  { agent: 'coderabbit', vars: ['CODERABBIT_API_KEY'], configDir: undefined },
];

export const AGENT_KEY_VARS: readonly string[] = AGENT_KEYS.flatMap((entry) => entry.vars);

export const MIN_NODE = '22.12.0';

/** Everything doctor looks at, gathered beforehand; no values of secrets, only whether they are set. */
export interface DoctorFacts {
  platform: NodeJS.Platform;
  runtime: {
    prefer: 'auto' | RuntimeName;
    probes: ProbeResult[];
  };
  image: {
    name: string;
    /** Where the name comes from, e.g. "runtime.image". */
    source: string;
    /** The runtime it was looked for in; undefined when none is reachable. */
    runtime: RuntimeName | undefined;
    /** undefined: not looked for (no runtime), or the look failed (see error). */
    present: boolean | undefined;
    error?: string | undefined;
  };
  gpu: {
    requested: boolean;
    nvidiaSmi: boolean;
    /** /dev/nvidia* device nodes found. */
    devices: string[];
    /** nvidia-container-toolkit (nvidia-ctk or nvidia-container-cli) on PATH. */
    toolkit: boolean;
  };
  /** Names among the agent key and forge token variables that are set (non-empty). */
  setVars: string[];
  /** Agent config directories in the home directory, e.g. ".claude". */
  configDirs: string[];
  /** Agents the config runs on the host (agents.<name>.host), outside any container. */
  hostAgents: string[];
  defaultAgent: string;
  forges: Array<{ key: string; kind: string; url: string; tokenEnv: string | undefined }>;
  git: {
    /** `git --version` output, or undefined when git could not be run. */
    version: string | undefined;
    error?: string | undefined;
    name: string;
    email: string;
  };
  home: { path: string; writable: boolean; error?: string | undefined };
  node: { version: string };
  /** The default agent's CLI and each configured agent's, where a dispatch would run them. */
  agentClis: AgentCliFact[];
  /** The swarm's nodes and transfer address, when runtime swarm is configured. */
  swarm?: SwarmFacts | undefined;
}

const check = (id: string, status: CheckStatus, message: string, fix: string | null = null): Check => ({ id, status, message, fix });

const START_ENGINE =
  'start Docker (dockerd, or Docker Desktop) or Podman (podman system service --time=0 unix:///run/podman/podman.sock &), or point DOCKER_HOST / CONTAINER_HOST at a running engine';

/** Whether a run's workspace is bind-mounted (local) or copied across (remote): doctor says which. */
const LOCATION = { swarm: ' (swarm: each run a job on a node; workspaces travel over HTTP from agentctl)', local: ' (local)', ssh: ' (remote over SSH: workspaces are copied in and out)', tcp: ' (remote over TLS: workspaces are copied in and out)', unknown: '' } as const;

function runtimeChecks(facts: DoctorFacts): { checks: Check[]; selected: RuntimeName | undefined } {
  const checks: Check[] = facts.runtime.probes.map((probe) =>
    probe.ok
      ? check(`runtime.${probe.runtime}`, 'ok', `${probe.runtime}: ${probe.detail} at ${probe.endpoint}${LOCATION[probe.runtime === 'swarm' ? 'swarm' : (probe.location ?? 'unknown')]}`)
      : check(
          `runtime.${probe.runtime}`,
          'warn',
          `${probe.runtime}: not reachable: ${probe.detail}`,
          probe.runtime === 'apple' ? 'container system start (Apple container, macOS 26)' : START_ENGINE,
        ),
  );
  try {
    const selection = selectRuntime(facts.runtime.prefer, facts.runtime.probes, facts.platform);
    const how = facts.runtime.prefer === 'auto' ? 'first available' : `runtime.prefer is ${facts.runtime.prefer}`;
    checks.push(
      selection.warning === undefined
        ? check('runtime', 'ok', `container runs use ${selection.runtime} (${how})`)
        : check('runtime', 'warn', selection.warning, `start ${facts.runtime.prefer}, or set runtime.prefer / AGENTCTL_RUNTIME to ${selection.runtime}`),
    );
    return { checks, selected: selection.runtime };
  } catch (error) {
    // A preference this platform cannot have (apple off macOS) is its own mistake, not a missing engine.
    if (isAgentctlError(error) && error.code === 'runtime_unsupported') {
      checks.push(check('runtime', 'fail', error.message, error.hint ?? null));
      return { checks, selected: undefined };
    }
    const tried = facts.runtime.probes.map((probe) => probe.runtime).join(', ') || 'none';
    checks.push(check('runtime', 'fail', `no container runtime is reachable (tried: ${tried})`, START_ENGINE));
    return { checks, selected: undefined };
  }
}

function imageCheck(facts: DoctorFacts): Check {
  const { image } = facts;
  const what = `${image.name} (${image.source})`;
  if (image.runtime === undefined) return check('image', 'warn', `${what}: not checked, no container runtime is reachable`, 'start a container engine first, then run agentctl doctor again');
  if (image.present === true) return check('image', 'ok', `${what} is present in ${image.runtime}`);
  if (image.present === false) {
    return check('image', 'fail', `${what} is not present in ${image.runtime}`, `agentctl image build --runtime ${image.runtime} (builds ${image.name}), or load the image into ${image.runtime}`);
  }
  return check('image', 'fail', `${what}: could not ask ${image.runtime}: ${image.error ?? 'unknown error'}`, `check that ${image.runtime} is answering, then run agentctl doctor again`);
}

function gpuCheck(facts: DoctorFacts): Check {
  const { gpu } = facts;
  if (facts.platform === 'darwin') return check('gpu', 'ok', 'macOS: --gpu gives the apple runtime Metal (--gpu=metal); Docker and Podman have no GPU here');
  const found = gpu.nvidiaSmi || gpu.devices.length > 0;
  if (found && gpu.toolkit) return check('gpu', 'ok', `NVIDIA GPU found (${gpu.nvidiaSmi ? 'nvidia-smi' : gpu.devices.join(', ')}) and the NVIDIA container toolkit is installed: --gpu works`);
  if (found) {
    return check(
      'gpu',
      gpu.requested ? 'fail' : 'warn',
      `NVIDIA GPU found (${gpu.nvidiaSmi ? 'nvidia-smi' : gpu.devices.join(', ')}) but no NVIDIA container toolkit (nvidia-ctk): --gpu will not reach it`,
      'install nvidia-container-toolkit and configure your engine (nvidia-ctk runtime configure)',
    );
  }
  if (gpu.requested) return check('gpu', 'fail', 'runtime.gpu is on, but no NVIDIA GPU was found (no nvidia-smi, no /dev/nvidia*)', 'set runtime.gpu: false (or unset AGENTCTL_GPU), or install the NVIDIA driver');
  return check('gpu', 'ok', 'no NVIDIA GPU found (no nvidia-smi, no /dev/nvidia*): agents run on the CPU; --gpu is not available');
}

function agentChecks(facts: DoctorFacts): Check[] {
  const set = new Set(facts.setVars);
  const dirs = new Set(facts.configDirs);
  const defaultBase = facts.defaultAgent.split(':')[0];
  return AGENT_KEYS.map(({ agent, vars, configDir }) => {
    const present = vars.filter((name) => set.has(name));
    const dir = configDir !== undefined && dirs.has(configDir) ? `~/${configDir}` : undefined;
    const isDefault = agent === defaultBase ? ' (the default agent)' : '';
    if (present.length > 0 || dir !== undefined) {
      const what = [...present.map((name) => `${name} is set`), ...(dir === undefined ? [] : [`${dir} exists (mounted read-only)`])].join(', ');
      return check(`agent.${agent}`, 'ok', `${agent}${isDefault}: ${what}`);
    }
    const login = configDir === undefined ? '' : `, or log in once with \`${agent}\` so ~/${configDir} exists`;
    const unset = vars.length === 1 ? `${vars[0]} is not set` : `none of ${vars.join(', ')} is set`;
    return check(`agent.${agent}`, 'warn', `${agent}${isDefault}: ${unset}${configDir === undefined ? '' : ` and there is no ~/${configDir}`}`, `export ${vars[0]}=…${login}`);
  });
}

/** Each agent opted out of the sandbox is a standing risk, so doctor says so every time. */
function hostAgentChecks(facts: DoctorFacts): Check[] {
  return facts.hostAgents.map((agent) => check(`host.${agent}`, 'warn', hostAgentWarning(agent), `remove "host: true" (and "native: true") from agents.${agent} to run it in a container`));
}

function forgeChecks(facts: DoctorFacts): Check[] {
  const set = new Set(facts.setVars);
  return facts.forges.map((forge) => {
    const where = `${forge.key}: ${forge.kind} at ${forge.url}`;
    if (forge.tokenEnv === undefined) return check(`forge.${forge.key}`, 'warn', `${where}, no token variable configured: public repositories only, no issue context, comments or PRs`, `add token_env: NAME under forges.${forge.key} and export NAME`);
    if (set.has(forge.tokenEnv)) return check(`forge.${forge.key}`, 'ok', `${where}, token in ${forge.tokenEnv} (set)`);
    return check(`forge.${forge.key}`, 'warn', `${where}, ${forge.tokenEnv} is not set: public repositories only, no issue context, comments or PRs`, `export ${forge.tokenEnv}=<token>`);
  });
}

function gitCheck(facts: DoctorFacts): Check {
  const { git } = facts;
  if (git.version === undefined) return check('git', 'fail', `git cannot be run: ${git.error ?? 'not found'}`, 'install git (apt-get install git, brew install git)');
  return check('git', 'ok', `${git.version.trim()}; agent commits by ${git.name} <${git.email}> (git.name, git.email)`);
}

function homeCheck(facts: DoctorFacts): Check {
  const { home } = facts;
  if (home.writable) return check('home', 'ok', `${home.path} is writable`);
  return check('home', 'fail', `${home.path} is not writable: ${home.error ?? 'unknown error'}`, 'fix its permissions, or point AGENTCTL_HOME at a writable directory');
}

function nodeCheck(facts: DoctorFacts): Check {
  const version = facts.node.version.replace(/^v/, '');
  if (compareVersions(version, MIN_NODE) >= 0) return check('node', 'ok', `Node ${version}`);
  return check('node', 'fail', `Node ${version} is older than the ${MIN_NODE} agentctl needs`, `install Node ${MIN_NODE} or newer (e.g. Node 24)`);
}

/** Every check, in the order they are printed. Pure: the facts are gathered elsewhere. */
export function doctorChecks(facts: DoctorFacts): Check[] {
  const runtime = runtimeChecks(facts);
  return [
    ...runtime.checks,
    ...swarmChecks(facts.swarm),
    imageCheck(facts),
    ...agentCliChecks(facts.agentClis),
    gpuCheck(facts),
    ...agentChecks(facts),
    ...hostAgentChecks(facts),
    ...forgeChecks(facts),
    gitCheck(facts),
    homeCheck(facts),
    nodeCheck(facts),
  ];
}

/** A dispatch can go ahead when nothing failed. */
export function doctorOk(checks: readonly Check[]): boolean {
  return checks.every((c) => c.status !== 'fail');
}
