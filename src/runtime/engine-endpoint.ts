import { existsSync } from 'node:fs';
import type { Config } from '../core/config/schema.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { Env } from './runtime.js';

export type EngineName = 'docker' | 'podman';

/** How an engine is reached: a local socket, HTTP(S), or the engine's own dial-stdio over SSH. */
export type EngineConnection =
  | { socketPath: string }
  | { host: string; port: number; protocol: 'http' | 'https'; tls?: { certPath: string } }
  | { ssh: SshTarget };

export interface SshTarget {
  host: string;
  port: number;
  username: string;
}

/** Whether the engine shares this machine's filesystem (bind mounts work) or sits across a connection. */
export type EngineLocation = 'local' | 'ssh' | 'tcp';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A socket or loopback HTTP is this machine; SSH always counts as remote (no shared filesystem is assumed, even to localhost). */
export function engineLocation(connection: EngineConnection): EngineLocation {
  if ('socketPath' in connection) return 'local';
  if ('ssh' in connection) return 'ssh';
  return isLoopback(connection.host) ? 'local' : 'tcp';
}

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

/** The URL as it may be shown: a password in it never reaches a message, a log or a status. */
function shown(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

function badUrl(url: string, why: string): AgentctlError {
  return new AgentctlError('engine_endpoint', `Cannot use engine endpoint "${shown(url)}": ${why}.`, {
    exitCode: ExitCode.config,
    hint: 'Use unix:///path/to/engine.sock, ssh://user@host[:port], tcp://host:port with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or tcp://127.0.0.1:port (DOCKER_HOST, CONTAINER_HOST, runtime.docker_host, runtime.podman_host).',
  });
}

/**
 * `env` supplies DOCKER_TLS_VERIFY and DOCKER_CERT_PATH: plain HTTP crosses
 * the network unauthenticated (anyone who reaches the port owns the engine),
 * so tcp:// to a host other than loopback needs TLS.
 */
export function parseEngineUrl(url: string, env: Env = {}): EngineConnection {
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
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https' && scheme !== 'ssh') throw badUrl(url, `unsupported scheme "${scheme}"`);
  if (parsed.hostname === '') throw badUrl(url, 'no host');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  // Engines authenticate by SSH keys or TLS client certificates; a password in the URL would only be echoed about.
  if (parsed.password !== '') throw badUrl(url, scheme === 'ssh' ? 'passwords are not taken; use ssh-agent or runtime.ssh.identity' : 'passwords are not taken; use TLS client certificates (DOCKER_CERT_PATH)');
  if (scheme === 'ssh') {
    if (parsed.username === '') throw badUrl(url, 'name the SSH user (ssh://user@host)');
    if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '') throw badUrl(url, 'an ssh:// endpoint has no path');
    return { ssh: { host, port: parsed.port === '' ? 22 : Number(parsed.port), username: decodeURIComponent(parsed.username) } };
  }
  const certPath = env.DOCKER_TLS_VERIFY === '1' && env.DOCKER_CERT_PATH ? env.DOCKER_CERT_PATH : undefined;
  const tls = scheme === 'https' || (scheme === 'tcp' && certPath !== undefined);
  if (!tls && !isLoopback(host)) throw badUrl(url, 'plain HTTP to another machine gives anyone on the way the engine; use ssh:// or TLS');
  // tcp:// without a port means the engine's conventional port: 2376 with TLS, 2375 without.
  const fallbackPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : tls ? 2376 : 2375;
  const port = parsed.port === '' ? fallbackPort : Number(parsed.port);
  if (!tls) return { host, port, protocol: 'http' };
  return certPath === undefined ? { host, port, protocol: 'https' } : { host, port, protocol: 'https', tls: { certPath } };
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
  return { ...chosen, connection: parseEngineUrl(chosen.url, inputs.env), tried: tried.map((candidate) => candidate.url) };
}
