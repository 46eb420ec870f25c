import type { AgentConfig, Config } from '../config/schema.js';
import { usageError } from '../errors.js';

export const BUILTIN_AGENTS = ['claude', 'codex', 'gemini', 'coderabbit', 'local'] as const;
export type BuiltinAgent = (typeof BUILTIN_AGENTS)[number];

export interface ResolvedAgent {
  /** As the user wrote it, e.g. "codex:review". */
  spec: string;
  base: string;
  variant: string | undefined;
  builtin: BuiltinAgent | undefined;
  settings: AgentConfig;
  /** Runs on the host, outside any container: only when the config opts this agent in (agents.<name>.host). */
  native: boolean;
  pool: string;
}

function isBuiltin(name: string): name is BuiltinAgent {
  return (BUILTIN_AGENTS as readonly string[]).includes(name);
}

/** Resolve "name[:variant]" against the built-ins and the config's custom agents. */
export function resolveAgent(spec: string, config: Config): ResolvedAgent {
  const colon = spec.indexOf(':');
  const base = colon < 0 ? spec : spec.slice(0, colon);
  const variant = colon < 0 ? undefined : spec.slice(colon + 1);
  const settings = Object.hasOwn(config.agents, base) ? config.agents[base] : undefined;
  const custom = Object.entries(config.agents).filter(([name, agent]) => !isBuiltin(name) && agent.command !== undefined);
  const known = [...BUILTIN_AGENTS, ...custom.map(([name]) => name)];
  if (!isBuiltin(base) && settings?.command === undefined) {
    throw usageError(
      'unknown_agent',
      settings === undefined
        ? `unknown agent ${JSON.stringify(base)}`
        : `agent ${JSON.stringify(base)} is configured without a command`,
      `use one of: ${known.join(', ')}; or add a custom agent with a "command" under "agents:" in the config`,
    );
  }
  if (variant !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(variant)) {
    throw usageError(
      'invalid_agent_variant',
      `invalid model or variant ${JSON.stringify(variant)} in --agent ${JSON.stringify(spec)}`,
      'use letters, digits, ".", "_", "-" and ":", for example --agent claude:sonnet or --agent local:devstral:24b',
    );
  }
  const pool =
    settings?.pool ??
    Object.entries(config.pools).find(([, pool]) => pool.agents?.includes(base) === true)?.[0] ??
    base;
  // Every agent runs in a container unless its own entry says otherwise; "native" is the older spelling.
  const native = settings?.host ?? settings?.native ?? false;
  return { spec, base, variant, builtin: isBuiltin(base) ? base : undefined, settings: settings ?? {}, native, pool };
}
