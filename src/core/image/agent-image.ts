import type { Config } from '../config/schema.js';
import { DEFAULT_IMAGE } from '../container/container-spec.js';

export type ImageSource = 'agent' | 'runtime.image' | 'AGENTCTL_IMAGE' | 'default';

export interface ConfiguredImage {
  image: string;
  /** Where the name came from, for messages. */
  source: ImageSource;
  /** The agent whose image it is (the default agent unless told). */
  agent: string;
}

/** The base name of an agent spec: "claude:opus" → "claude". */
export function agentBase(spec: string): string {
  const colon = spec.indexOf(':');
  return colon < 0 ? spec : spec.slice(0, colon);
}

/**
 * The image an agent runs in, in dispatch's order: agents.<name>.image, then
 * runtime.image, then AGENTCTL_IMAGE, then the default agent image.
 */
export function configuredImage(config: Config, env: Readonly<Record<string, string | undefined>>, agentSpec = config.defaults.agent): ConfiguredImage {
  const agent = agentBase(agentSpec);
  const perAgent = Object.hasOwn(config.agents, agent) ? config.agents[agent]?.image : undefined;
  if (perAgent !== undefined) return { image: perAgent, source: 'agent', agent };
  if (config.runtime.image !== undefined) return { image: config.runtime.image, source: 'runtime.image', agent };
  const fromEnv = env.AGENTCTL_IMAGE;
  if (fromEnv !== undefined && fromEnv !== '') return { image: fromEnv, source: 'AGENTCTL_IMAGE', agent };
  return { image: DEFAULT_IMAGE, source: 'default', agent };
}

export function describeSource(image: ConfiguredImage): string {
  switch (image.source) {
    case 'agent':
      return `agents.${image.agent}.image`;
    case 'runtime.image':
      return 'runtime.image';
    case 'AGENTCTL_IMAGE':
      return 'AGENTCTL_IMAGE';
    default:
      return 'the default agent image';
  }
}

/** The agent CLIs whose versions `image status` reports. */
export const AGENT_CLIS = ['claude', 'codex', 'gemini'] as const;
export type AgentCli = (typeof AGENT_CLIS)[number];

const MARK = '@@agentctl-version';

/**
 * A POSIX sh script that prints one marked line per CLI: its first line of
 * `--version`, or nothing after the name when it is not installed or fails.
 */
export function versionProbeScript(clis: readonly string[] = AGENT_CLIS): string {
  return clis
    .map(
      (cli) =>
        `v=; if command -v ${cli} >/dev/null 2>&1; then v=$(${cli} --version 2>/dev/null </dev/null) || v=; fi; printf '${MARK} ${cli} %s\\n' "$(printf '%s\\n' "$v" | head -n 1)"`,
    )
    .join('\n');
}

/** The versions found by versionProbeScript's output; null for a CLI that is missing or did not answer. */
export function parseVersionProbe(output: string, clis: readonly string[] = AGENT_CLIS): Record<string, string | null> {
  const found: Record<string, string | null> = Object.fromEntries(clis.map((cli) => [cli, null]));
  for (const line of output.split(/\r?\n/)) {
    if (!line.startsWith(`${MARK} `)) continue;
    const rest = line.slice(MARK.length + 1);
    const space = rest.indexOf(' ');
    const cli = space < 0 ? rest : rest.slice(0, space);
    const version = space < 0 ? '' : rest.slice(space + 1).trim();
    if (Object.hasOwn(found, cli)) found[cli] = version === '' ? null : version;
  }
  return found;
}

/** One message of the engine's build stream, as it concerns a person watching. */
export interface BuildEvent {
  /**
   * Text to show, as it came: a {stream} message is not always whole lines
   * (Podman splits long lines across messages), so this is appended to
   * what came before and cut into lines by the reader.
   */
  text: string;
  error: string | undefined;
  /** The image id, when the engine reports it in an aux message. */
  imageId: string | undefined;
}

/**
 * Read one JSON object of Docker's /build stream (Podman's compatible API
 * sends the same shapes): {stream}, {status, progress}, {error, errorDetail},
 * {aux: {ID}}.
 */
export function parseBuildEvent(event: unknown): BuildEvent {
  const out: BuildEvent = { text: '', error: undefined, imageId: undefined };
  if (event === null || typeof event !== 'object') return out;
  const e = event as { stream?: unknown; status?: unknown; progress?: unknown; error?: unknown; errorDetail?: { message?: unknown }; aux?: { ID?: unknown } };
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  out.text = str(e.stream) ?? '';
  const status = str(e.status);
  if (status !== undefined) out.text += `${str(e.progress) === undefined ? status : `${status} ${str(e.progress)}`}\n`;
  const error = str(e.error) ?? str(e.errorDetail?.message);
  if (error !== undefined) out.error = error.trim();
  const id = str(e.aux?.ID);
  if (id !== undefined) out.imageId = id;
  return out;
}

/** The id in a classic builder's "Successfully built <id>" line. */
export function builtIdFromLine(line: string): string | undefined {
  return /^Successfully built ([0-9a-f]{12,64})\s*$/.exec(line)?.[1];
}

/** `sha256:abc…` → the first 12 hex digits, as engines print ids. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
