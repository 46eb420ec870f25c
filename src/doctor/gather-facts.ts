import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Config } from '../core/config/schema.js';
import { AGENT_KEYS, AGENT_KEY_VARS, type DoctorFacts } from '../core/doctor/checks.js';
import { configuredImage, describeSource } from '../core/image/agent-image.js';
import { selectRuntime, type ProbeResult } from '../core/runtime-selection.js';
import type { RuntimeRegistry } from '../runtime/registry.js';
import type { CliProbe } from '../core/doctor/agent-cli-checks.js';
import { gatherAgentClis } from './agent-clis.js';
import { gatherSwarmFacts } from './swarm-facts.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The machine as doctor sees it; the real one by default, a scripted one in tests. */
export interface SystemProbe {
  /** Is this program on PATH? */
  onPath(program: string): boolean;
  /** /dev/nvidia* device nodes. */
  nvidiaDevices(): string[];
  isDirectory(path: string): boolean;
  gitVersion(): Promise<{ version: string | undefined; error?: string | undefined }>;
  nodeVersion(): string;
  /** Create the directory if needed, write a probe file into it and remove it again. */
  writable(dir: string): { writable: boolean; error?: string | undefined };
  /** `<program> --version` on the host, for host agents. */
  hostCli(program: string): Promise<CliProbe>;
}

export function realSystemProbe(env: Env): SystemProbe {
  return {
    onPath(program) {
      for (const dir of (env.PATH ?? '').split(delimiter)) {
        if (dir === '') continue;
        try {
          accessSync(join(dir, program), constants.X_OK);
          return true;
        } catch {
          // not in this one
        }
      }
      return false;
    },
    nvidiaDevices() {
      try {
        return readdirSync('/dev')
          .filter((name) => name.startsWith('nvidia'))
          .sort()
          .map((name) => `/dev/${name}`);
      } catch {
        return [];
      }
    },
    isDirectory(path) {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    },
    gitVersion() {
      return new Promise((resolve) => {
        execFile('git', ['--version'], { env: { ...env } as NodeJS.ProcessEnv, timeout: 10_000 }, (error, stdout) => {
          if (error !== null) resolve({ version: undefined, error: error.message.split('\n')[0] });
          else resolve({ version: stdout.trim() });
        });
      });
    },
    nodeVersion: () => process.versions.node,
    hostCli(program) {
      return new Promise((resolve) => {
        execFile(program, ['--version'], { env: { ...env } as NodeJS.ProcessEnv, timeout: 10_000, encoding: 'utf8' }, (error, stdout) => {
          if (error === null) resolve({ found: true, version: stdout.trim().split('\n')[0] });
          else if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve({ found: false });
          else resolve({ found: undefined, error: error.message.split('\n')[0] ?? 'failed' });
        });
      });
    },
    writable(dir) {
      const probe = join(dir, `.doctor-probe-${process.pid}-${Date.now()}`);
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(probe, 'agentctl doctor\n');
        rmSync(probe);
        return { writable: true };
      } catch (error) {
        try {
          rmSync(probe, { force: true });
        } catch {
          // the directory itself is the problem; nothing was left behind
        }
        return { writable: false, error: (error as Error).message };
      }
    },
  };
}

export interface GatherInput {
  config: Config;
  env: Env;
  home: string;
  stateHome: string;
  platform: NodeJS.Platform;
  registry: RuntimeRegistry;
  system: SystemProbe;
  /** Who runs agentctl: host agents run as this user. */
  user: { uid: number };
}

/** Look at the machine: engines, image, GPU, variables (set or not, never their values), dirs, git, state dir, Node. */
export async function gatherFacts(input: GatherInput): Promise<DoctorFacts> {
  const { config, env, system } = input;
  const [engines, git] = await Promise.all([input.registry.probeAll(), system.gitVersion()]);
  // A swarm is never among the engines auto would pick: it is looked at when configured.
  const wantSwarm = config.runtime.prefer === 'swarm' || config.runtime.swarm.host !== undefined;
  const swarmProbe = wantSwarm ? await (await input.registry.get('swarm')).probe().catch((error: unknown) => ({ runtime: 'swarm' as const, ok: false, detail: (error as Error).message, endpoint: 'swarm' })) : undefined;
  const probes = swarmProbe === undefined ? engines : [...engines, swarmProbe];
  const image = configuredImage(config, env);
  const swarm = swarmProbe?.ok === true ? await gatherSwarmFacts(config, input.registry, swarmProbe.endpoint, { image: image.image, home: input.stateHome }) : undefined;

  const imageFacts: DoctorFacts['image'] = { name: image.image, source: describeSource(image), runtime: undefined, present: undefined };
  const selected = trySelect(config.runtime.prefer, probes, input.platform);
  if (selected !== undefined) {
    imageFacts.runtime = selected;
    try {
      imageFacts.present = await (await input.registry.get(selected)).hasImage(image.image);
    } catch (error) {
      imageFacts.error = (error as Error).message;
    }
  }

  const agentClis = await gatherAgentClis({
    config,
    env,
    stateHome: input.stateHome,
    image: image.image,
    // Only where the image is, so a missing image is reported once, by the image check.
    runtime: imageFacts.present === true ? imageFacts.runtime : undefined,
    registry: input.registry,
    asRoot: input.user.uid === 0,
    hostCli: (program) => system.hostCli(program),
  });

  const tokenVars = Object.values(config.forges).flatMap((forge) => (forge.token_env === undefined ? [] : [forge.token_env]));
  const setVars = [...new Set([...AGENT_KEY_VARS, ...tokenVars])].filter((name) => (env[name] ?? '') !== '');

  return {
    platform: input.platform,
    runtime: { prefer: config.runtime.prefer, probes },
    image: imageFacts,
    gpu: {
      requested: config.runtime.gpu,
      nvidiaSmi: input.platform === 'linux' && system.onPath('nvidia-smi'),
      devices: input.platform === 'linux' ? system.nvidiaDevices() : [],
      toolkit: system.onPath('nvidia-ctk') || system.onPath('nvidia-container-cli'),
    },
    setVars,
    configDirs: AGENT_KEYS.flatMap(({ configDir }) => (configDir !== undefined && system.isDirectory(join(input.home, configDir)) ? [configDir] : [])),
    hostAgents: Object.entries(config.agents).flatMap(([name, agent]) => ((agent.host ?? agent.native) === true ? [name] : [])),
    defaultAgent: config.defaults.agent,
    forges: Object.entries(config.forges).map(([key, forge]) => ({ key, kind: forge.kind, url: forge.url, tokenEnv: forge.token_env })),
    git: { ...git, name: config.git.name, email: config.git.email },
    home: { path: input.stateHome, ...system.writable(input.stateHome) },
    node: { version: system.nodeVersion() },
    agentClis,
    swarm,
  };
}

function trySelect(prefer: Config['runtime']['prefer'], probes: ProbeResult[], platform: NodeJS.Platform) {
  try {
    return selectRuntime(prefer, probes, platform).runtime;
  } catch {
    return undefined;
  }
}
