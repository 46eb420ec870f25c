import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { AgentctlError, ExitCode } from '../core/errors.js';
import type { SshTarget } from './engine-endpoint.js';
import { fingerprint, hostKeyVerdict, knownHostName } from './known-hosts.js';
import type { Env } from './runtime.js';

/**
 * node:http by require, not by import: importing it as ESM builds its module
 * facade, which loads Node's bundled undici (~40 ms of every command's start).
 */
const { Agent } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export interface SshSettings {
  /** A private key file; else the keys of the ssh-agent at SSH_AUTH_SOCK. */
  identity?: string | undefined;
  /** The known_hosts file the host key must be listed in; ~/.ssh/known_hosts when unset. */
  knownHosts?: string | undefined;
}

/** sshd's default MaxSessions is 10: stay under it, so a burst of API calls queues instead of failing. */
const MAX_CHANNELS = 8;
const READY_TIMEOUT_MS = 15_000;

function sshError(target: SshTarget, message: string, hint: string, cause?: unknown): AgentctlError {
  return new AgentctlError('engine_ssh', `SSH to ${target.username}@${knownHostName(target.host, target.port)}: ${message}`, {
    exitCode: ExitCode.environment,
    hint,
    cause,
  });
}

function readKnownHosts(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * An HTTP agent whose every connection is `docker system dial-stdio` (what
 * the docker CLI runs for ssh://, and Podman's docker CLI shim too) on one
 * shared SSH connection. The host key is checked against known_hosts and a
 * wrong or unknown one refuses the connection: nothing ever prompts. The
 * TCP socket keeps the process alive only while a request is open, so a
 * command ends as soon as its work does; channels are kept alive between
 * requests and reused.
 */
/**
 * Node's HTTP client treats its connection as a net.Socket: it sets an idle
 * timeout (the probe's), and keep-alive and no-delay flags. A channel has
 * none of these, so they are added: the timeout as a timer that any data
 * resets, the flags as no-ops, and the end of a finished request as a close.
 */
function asSocket(stream: ClientChannel, use: { busy(): void; idle(): void }): Duplex {
  let timer: NodeJS.Timeout | undefined;
  let idleMs = 0;
  const arm = () => {
    clearTimeout(timer);
    timer = idleMs > 0 ? setTimeout(() => stream.emit('timeout'), idleMs) : undefined;
  };
  stream.on('data', () => {
    if (timer !== undefined) arm();
  });
  stream.once('close', () => clearTimeout(timer));
  Object.assign(stream, {
    setTimeout(ms: number, onTimeout?: () => void) {
      idleMs = ms;
      if (onTimeout !== undefined) stream.once('timeout', onTimeout);
      arm();
      return stream;
    },
    // Node ends a finished request's socket with destroySoon (else end): a half-close, which dial-stdio
    // answers only when the engine drops its side (seconds later). The channel is closed outright instead.
    destroySoon: () => {
      stream.end();
      stream.close();
    },
    setKeepAlive: () => stream,
    setNoDelay: () => stream,
    // The keep-alive agent unrefs a channel it parks between requests and refs it again for the next one.
    ref: () => {
      use.busy();
      return stream;
    },
    unref: () => {
      use.idle();
      return stream;
    },
  });
  return stream as unknown as Duplex;
}

export function sshAgent(target: SshTarget, settings: SshSettings, env: Env): InstanceType<typeof Agent> {
  const knownHostsPath = settings.knownHosts ?? join(env.HOME || homedir(), '.ssh', 'known_hosts');
  let client: Promise<Client> | undefined;
  let socket: Socket | undefined;
  let open = 0;
  /** Channels carrying a request now; parked ones (kept alive for the next request) do not keep the process alive. */
  let busy = 0;
  const waiting: Array<() => void> = [];

  const setRef = () => {
    if (busy > 0) socket?.ref();
    else socket?.unref();
  };

  const connectClient = async (): Promise<Client> => {
    const { Client: SshClient } = await import('ssh2');
    const conn = new SshClient();
    const name = knownHostName(target.host, target.port);
    let refusal: AgentctlError | undefined;
    const privateKey = settings.identity === undefined ? undefined : readFileSync(settings.identity);
    if (privateKey === undefined && !env.SSH_AUTH_SOCK) {
      throw sshError(target, 'no key to log in with', 'start an ssh-agent with the key loaded (SSH_AUTH_SOCK), or set runtime.ssh.identity to a key file');
    }
    socket = connect({ host: target.host, port: target.port });
    return new Promise<Client>((resolve, reject) => {
      conn.once('ready', () => {
        setRef();
        resolve(conn);
      });
      conn.once('error', (error) => {
        client = undefined;
        reject(refusal ?? sshError(target, error.message, `check that ${name} answers SSH and accepts this key`, error));
      });
      conn.once('close', () => {
        client = undefined;
      });
      conn.connect({
        sock: socket,
        username: target.username,
        readyTimeout: READY_TIMEOUT_MS,
        ...(privateKey === undefined ? { agent: env.SSH_AUTH_SOCK } : { privateKey }),
        hostVerifier: (key: Buffer) => {
          const verdict = hostKeyVerdict(readKnownHosts(knownHostsPath), name, key);
          if (verdict === 'known') return true;
          const why =
            verdict === 'unknown'
              ? `the host key ${fingerprint(key)} is not known (no entry for ${name} in ${knownHostsPath})`
              : verdict === 'revoked'
                ? `the host key ${fingerprint(key)} is revoked in ${knownHostsPath}`
                : `the host key ${fingerprint(key)} does not match the key ${knownHostsPath} lists for ${name}: someone may be intercepting the connection`;
          refusal = sshError(
            target,
            `refused: ${why}`,
            `if the key is right, add it: ssh-keyscan -p ${target.port} ${target.host} >> ${knownHostsPath} (or set runtime.ssh.known_hosts); compare the fingerprint with the server's first`,
          );
          return false;
        },
      });
    });
  };

  const channel = async (): Promise<ClientChannel> => {
    while (open >= MAX_CHANNELS) await new Promise<void>((resolve) => waiting.push(resolve));
    open += 1;
    busy += 1;
    setRef();
    try {
      client ??= connectClient();
      const conn = await client;
      return await new Promise<ClientChannel>((resolve, reject) => {
        conn.exec('docker system dial-stdio', (error, stream) => (error === undefined ? resolve(stream) : reject(error)));
      });
    } catch (error) {
      done();
      throw error;
    }
  };

  const done = () => {
    open -= 1;
    busy -= 1;
    waiting.shift()?.();
    setRef();
  };

  // Keep-alive: every channel is a `docker system dial-stdio` process on the far side (a docker CLI
  // start, ~0.1 s); a dispatch makes ten or more requests, so they share parked channels instead.
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_CHANNELS });
  (agent as unknown as { createConnection: (options: unknown, callback: (error: Error | null, stream?: Duplex) => void) => void }).createConnection = (
    _options,
    callback,
  ) => {
    channel().then(
      (stream) => {
        let closed = false;
        let inUse = true;
        const use = {
          busy: () => {
            if (closed || inUse) return;
            inUse = true;
            busy += 1;
            setRef();
          },
          idle: () => {
            if (closed || !inUse) return;
            inUse = false;
            busy -= 1;
            setRef();
          },
        };
        stream.once('close', () => {
          if (closed) return;
          closed = true;
          // A parked channel was counted out of `busy` already.
          if (!inUse) busy += 1;
          done();
        });
        stream.stderr.resume();
        callback(null, asSocket(stream, use));
      },
      (error: Error) => callback(error),
    );
  };
  return agent;
}
