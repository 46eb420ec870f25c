import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import type { Deps } from './deps.js';

export function loadConfigFor(deps: Deps, configFile: string | undefined): Promise<LoadedConfig> {
  return loadConfig({ env: deps.env, home: deps.home, cwd: deps.cwd, configFile });
}
