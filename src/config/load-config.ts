import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { RawConfig } from '../core/config/validate-config.js';
import type { Config } from '../core/config/schema.js';
import { envOverrides } from '../core/config/env-overrides.js';
import { cachedConfig, configKey, rememberConfig, type CachedConfig, type ConfigCache } from './config-cache.js';

export interface LoadedConfig {
  config: Config;
  /** Files that were read, lowest precedence first. */
  sources: string[];
  /** Directory of the project's .agentctl.yaml, if one was found. */
  projectDir: string | undefined;
  /** Project configs found but not loaded (under $AGENTCTL_HOME), for the operator. */
  warnings: string[];
}

export interface LoadConfigInput {
  env: Record<string, string | undefined>;
  home: string;
  cwd: string;
  configFile?: string | undefined;
  /** Where validated configs are kept; without it every call parses and validates. */
  cache?: ConfigCache | undefined;
  /** $AGENTCTL_HOME: agents write there, so no project config is ever taken from under it. */
  stateHome: string;
}

export const PROJECT_CONFIG = '.agentctl.yaml';

export function userConfigPath(env: Record<string, string | undefined>, home: string): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'agentctl', 'config.yaml');
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentctlError('config_unreadable', `cannot read config ${path}: ${(error as Error).message}`, {
      exitCode: ExitCode.config,
      hint: 'check the file permissions',
      cause: error,
    });
  }
}

/** The path with links resolved as far as it exists, so a link into a workspace is seen for what it is. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel);
}

/**
 * The nearest .agentctl.yaml from cwd up. One under $AGENTCTL_HOME is
 * skipped, with a warning: an agent can write it into its workspace, and it
 * could send the forge's token to an API of its choosing.
 */
function findProjectConfig(cwd: string, stateHome: string, warnings: string[]): string | undefined {
  let dir = resolve(cwd);
  let state: string | undefined;
  for (;;) {
    const candidate = join(dir, PROJECT_CONFIG);
    let found = false;
    try {
      found = statSync(candidate).isFile();
    } catch {
      // not here; keep walking up
    }
    if (found) {
      state ??= realPath(stateHome);
      if (!isUnder(realPath(dir), state) && !isUnder(resolve(dir), resolve(stateHome))) return candidate;
      warnings.push(`ignored ${candidate}: a project config under $AGENTCTL_HOME (${stateHome}) is never loaded, since agents can write there`);
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Parse, validate and merge the layers; the YAML parser and the schema load only here. */
async function validateSources(files: ReadonlyArray<{ path: string; text: string }>, fromEnv: ReturnType<typeof envOverrides>): Promise<CachedConfig> {
  const { finalizeConfig, mergeRaw, validateLayer } = await import('../core/config/validate-config.js');
  const layers: RawConfig[] = [];
  if (files.length > 0) {
    const { parseConfigText } = await import('../core/config/parse-config.js');
    for (const { path, text } of files) layers.push(parseConfigText(text, path));
  }
  const sources = files.map((file) => file.path);
  if (fromEnv.layer !== undefined) {
    layers.push(validateLayer(fromEnv.layer, `environment (${fromEnv.names.join(', ')})`));
    sources.push(`environment: ${fromEnv.names.join(', ')}`);
  }
  return { config: finalizeConfig(mergeRaw(layers), sources.join(' + ') || 'built-in defaults'), sources };
}

/** Built-in defaults < user file < project file < --config FILE < AGENTCTL_* variables. */
export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const userPath = userConfigPath(input.env, input.home);
  const warnings: string[] = [];
  const projectPath = findProjectConfig(input.cwd, input.stateHome, warnings);
  const candidates: Array<{ path: string; required: boolean }> = [{ path: userPath, required: false }];
  if (projectPath !== undefined) candidates.push({ path: projectPath, required: true });
  if (input.configFile !== undefined) candidates.push({ path: resolve(input.cwd, input.configFile), required: true });

  const files: Array<{ path: string; text: string }> = [];
  for (const { path, required } of candidates) {
    const text = readIfPresent(path);
    if (text !== undefined) files.push({ path, text });
    else if (required) {
      throw new AgentctlError('config_missing', `config file ${path} does not exist`, {
        exitCode: ExitCode.config,
        hint: 'check the --config path, or run "agentctl init" to create one',
      });
    }
  }
  const fromEnv = envOverrides(input.env);
  const projectDir = projectPath === undefined ? undefined : dirname(projectPath);
  const { cache } = input;
  if (cache === undefined) return { ...(await validateSources(files, fromEnv)), projectDir, warnings };
  const key = configKey(cache.fingerprint, files, fromEnv.layer ?? {});
  const hit = cachedConfig(cache, key);
  if (hit !== undefined) return { ...hit, projectDir, warnings };
  // A config with a mistake throws here, so only valid ones are ever kept.
  const loaded = await validateSources(files, fromEnv);
  rememberConfig(cache, key, loaded);
  return { ...loaded, projectDir, warnings };
}
