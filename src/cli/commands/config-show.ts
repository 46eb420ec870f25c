import { stringify } from 'yaml';
import type { Config } from '../../core/config/schema.js';
import { ExitCode } from '../../core/errors.js';
import { stateHome, type Deps, type Env } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { configShowOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';

/** Token variables are shown by name with whether they are set; their values never leave the environment. */
export function secretsStatus(config: Config, env: Env): Array<{ name: string; usedBy: string; set: boolean }> {
  return Object.entries(config.forges)
    .filter(([, forge]) => forge.token_env !== undefined)
    .map(([key, forge]) => ({ name: forge.token_env as string, usedBy: `forges.${key}`, set: (env[forge.token_env as string] ?? '') !== '' }));
}

export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(configShowOp.input, raw, 'config show');
  const loaded = await loadConfigFor(deps, opts.config);
  const secrets = secretsStatus(loaded.config, deps.env);
  if (opts.json) {
    deps.io.out(`${JSON.stringify({ home: stateHome(deps), sources: loaded.sources, config: loaded.config, secrets }, null, 2)}\n`);
    return ExitCode.ok;
  }
  let out = `# agentctl state: ${stateHome(deps)}\n`;
  out += `# sources (later wins): ${loaded.sources.length > 0 ? loaded.sources.join(', ') : 'built-in defaults only'}\n`;
  for (const secret of secrets) out += `# ${secret.name} (${secret.usedBy}): ${secret.set ? 'set' : 'not set'}\n`;
  out += stringify(loaded.config);
  deps.io.out(out);
  return ExitCode.ok;
}
