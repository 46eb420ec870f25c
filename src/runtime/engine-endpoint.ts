import { existsSync } from 'node:fs';
import type { Config } from '../core/config/schema.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { Env } from './runtime.js';

export type EngineName = 'docker' | 'podman';

/** What dockerode's constructor needs to reach an engine. */
export type EngineConnection = { socketPath: string } | { host: string; port: number; protocol: 'http' | 'https' };

export interface EndpointCandidate {
  url: string;
  source: 'env' | 'config' | 'default';
}

export interface EngineEndpoint extends EndpointCandidate {
  connection: EngineConnection;
  /** Every URL considered, in order, for error messages. */
  tried: string[];
}

export interface EndpointInputs {
  env: Env;
  runtime: Pick<Config['runtime'], 'docker_host' | 'podman_host'>;
  uid: number;
  /** Injected so tests need no real sockets. */
  exists?: (path: string) => boolean;
}

const ENV_VAR: Record<EngineName, string> = { docker: 'DOCKER_HOST', podman: 'CONTAINER_HOST' };

function defaultSockets(engine: EngineName, env: Env, uid: number): string[] {
  if (engine === 'docker') return ['/var/run/docker.sock', '/run/docker.sock'];
  const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/${uid}`;
  return ['/run/podman/podman.sock', `${runtimeDir}/podman/podman.sock`];
}

/** Where to look for an engine, most specific first: environment, config, well-known sockets. */
export function endpointCandidates(engine: EngineName, inputs: EndpointInputs): EndpointCandidate[] {
  const candidates: EndpointCandidate[] = [];
  const fromEnv = inputs.env[ENV_VAR[engine]];
  if (fromEnv) candidates.push({ url: fromEnv, source: 'env' });
  const fromConfig = engine === 'docker' ? inputs.runtime.docker_host : inputs.runtime.podman_host;
  if (fromConfig) candidates.push({ url: fromConfig, source: 'config' });
  for (const path of defaultSockets(engine, inputs.env, inputs.uid)) candidates.push({ url: `unix://${path}`, source: 'default' });
  return candidates;
}

function badUrl(url: string, why: string): AgentctlError {
  return new AgentctlError('engine_endpoint', `Cannot use engine endpoint "${url}": ${why}.`, {
    exitCode: ExitCode.config,
    hint: 'Use unix:///path/to/engine.sock, tcp://host:port or http(s)://host:port (DOCKER_HOST, CONTAINER_HOST, runtime.docker_host, runtime.podman_host).',
  });
}

export function parseEngineUrl(url: string): EngineConnection {
  if (url.startsWith('unix://')) {
    const socketPath = url.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw badUrl(url, 'the socket path must be absolute');
    return { socketPath };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url, 'not a URL');
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') throw badUrl(url, `unsupported scheme "${scheme}"`);
  if (parsed.hostname === '') throw badUrl(url, 'no host');
  // tcp:// without a port means the engine's conventional plain-HTTP port.
  const fallbackPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : 2375;
  const port = parsed.port === '' ? fallbackPort : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, protocol: scheme === 'https' ? 'https' : 'http' };
}

/**
 * The endpoint to talk to. An explicit setting (env, then config) wins
 * outright; otherwise the first well-known socket that exists, or the first
 * one when none does, so the probe fails naming it.
 */
export function resolveEndpoint(engine: EngineName, inputs: EndpointInputs): EngineEndpoint {
  const exists = inputs.exists ?? existsSync;
  const candidates = endpointCandidates(engine, inputs);
  const explicit = candidates.find((candidate) => candidate.source !== 'default');
  const defaults = candidates.filter((candidate) => candidate.source === 'default');
  let chosen: EndpointCandidate;
  let tried: EndpointCandidate[];
  if (explicit !== undefined) {
    chosen = explicit;
    tried = [explicit];
  } else {
    const found = defaults.findIndex((candidate) => exists(candidate.url.slice('unix://'.length)));
    chosen = defaults[Math.max(found, 0)]!;
    tried = found === -1 ? defaults : defaults.slice(0, found + 1);
  }
  return { ...chosen, connection: parseEngineUrl(chosen.url), tried: tried.map((candidate) => candidate.url) };
}
