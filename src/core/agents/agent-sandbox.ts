import type { Config } from '../config/schema.js';
import type { NetworkMode, ResourceLimits } from '../container/hardening.js';
import type { ResolvedAgent } from './resolve-agent.js';

/**
 * The one credential directory in the user's home that an agent's CLI reads.
 * `local` is codex pointed at a local model, so it reads codex's. coderabbit
 * and custom commands get none: a container sees no other agent's login.
 */
const CREDENTIAL_DIRS: Partial<Record<string, string>> = { claude: '.claude', codex: '.codex', local: '.codex', gemini: '.gemini' };

export function credentialDir(agent: Pick<ResolvedAgent, 'builtin'>): string | undefined {
  return agent.builtin === undefined ? undefined : CREDENTIAL_DIRS[agent.builtin];
}

/** runtime.limits and runtime.network, each overridden by the agent's own setting. */
export function containerSettings(config: Config, agent: Pick<ResolvedAgent, 'settings'>): { limits: ResourceLimits; network: NetworkMode } {
  return {
    limits: { ...config.runtime.limits, ...agent.settings.limits },
    network: agent.settings.network ?? config.runtime.network,
  };
}

/** Said on every dispatch of a host agent, and by doctor for each one configured. */
export function hostAgentWarning(agent: string): string {
  return `agent ${agent} runs on the host (agents.${agent}.host), outside any container: it can read and change everything your user can`;
}
