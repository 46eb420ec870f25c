import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgentCommand } from '../core/agents/agent-argv.js';
import { resolveAgent } from '../core/agents/resolve-agent.js';
import type { Config } from '../core/config/schema.js';
import type { AgentCliFact, CliProbe } from '../core/doctor/agent-cli-checks.js';
import type { RuntimeName } from '../core/container/container-spec.js';
import { probeImageCli } from '../run/cli-version.js';
import type { RuntimeRegistry } from '../runtime/registry.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface AgentCliInput {
  config: Config;
  env: Env;
  stateHome: string;
  /** The image runs use unless an agent names its own, and the engine they run in. */
  image: string;
  runtime: RuntimeName | undefined;
  registry: RuntimeRegistry;
  asRoot: boolean;
  /** `<cli> --version` on the host, for host agents. */
  hostCli(program: string): Promise<CliProbe>;
}

/** The default agent, then every agent the config names, once each. */
function agentsToCheck(config: Config): string[] {
  const names = [config.defaults.agent.split(':')[0] as string, ...Object.keys(config.agents)];
  return [...new Set(names)].filter((name) => {
    try {
      resolveAgent(name, config);
      return true;
    } catch {
      // A config entry without a command is reported where it is used.
      return false;
    }
  });
}

async function inImage(input: AgentCliInput, image: string, cli: string): Promise<{ present: boolean | undefined; probe: CliProbe | undefined }> {
  if (input.runtime === undefined) return { present: undefined, probe: undefined };
  const runtime = await input.registry.get(input.runtime);
  const imageId = await runtime.imageId(image).catch(() => undefined);
  if (imageId === undefined) return { present: false, probe: undefined };
  // A throwaway outbox of our own for the probe's answer.
  const outbox = mkdtempSync(join(tmpdir(), 'agentctl-doctor-'));
  try {
    return { present: true, probe: await probeImageCli(runtime, image, imageId, cli, outbox, input.stateHome, input.env) };
  } finally {
    rmSync(outbox, { recursive: true, force: true });
  }
}

/** Each agent's CLI where a dispatch would run it: in its image (a short hardened container) or on the host. */
export function gatherAgentClis(input: AgentCliInput): Promise<AgentCliFact[]> {
  const defaultAgent = input.config.defaults.agent.split(':')[0];
  return Promise.all(
    agentsToCheck(input.config).map(async (name): Promise<AgentCliFact> => {
      const agent = resolveAgent(name, input.config);
      const cli = buildAgentCommand({ agent, prompt: '', promptPath: '/dev/null', base: 'main' }).argv[0] as string;
      const isDefault = name === defaultAgent;
      if (agent.native) return { agent: name, isDefault, cli, where: { kind: 'host', asRoot: input.asRoot }, probe: await input.hostCli(cli) };
      const image = agent.settings.image ?? input.image;
      const found = await inImage(input, image, cli);
      return { agent: name, isDefault, cli, where: { kind: 'image', image, runtime: input.runtime, present: found.present }, probe: found.probe };
    }),
  );
}
