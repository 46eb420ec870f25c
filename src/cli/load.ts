import { join } from 'node:path';
import type { ConfigCache } from '../config/config-cache.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { stateHome, type Deps } from './deps.js';

/** Set by the build (rolldown.config.mjs) to a hash of the code that parses and validates config; absent when running from source. */
declare const __AGENTCTL_CONFIG_FINGERPRINT__: string | undefined;

/** The built CLI keeps validated configs under the state dir; from source there is no build to tie them to. */
function configCacheFor(deps: Deps): ConfigCache | undefined {
  return typeof __AGENTCTL_CONFIG_FINGERPRINT__ === 'string' ? { path: join(stateHome(deps), 'cache', 'config.json'), fingerprint: __AGENTCTL_CONFIG_FINGERPRINT__ } : undefined;
}

export async function loadConfigFor(deps: Deps, configFile: string | undefined): Promise<LoadedConfig> {
  const loaded = await loadConfig({ env: deps.env, home: deps.home, cwd: deps.cwd, configFile, cache: configCacheFor(deps), stateHome: stateHome(deps) });
  for (const warning of loaded.warnings) deps.io.err(`warning: ${warning}\n`);
  return loaded;
}
