import { connect, type Socket } from 'node:net';
import type { EngineConnection } from './engine-endpoint.js';

/** An engine's answers to a ping, /version or an image inspect are small; anything longer is cut here, not buffered. */
const MAX_REPLY_BYTES = 256 * 1024;

export interface EngineReply {
  status: number;
  body: string;
}

/** A chunked body (which engines may send even to HTTP/1.0) as its plain bytes. */
function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = line < 0 ? 0 : Number.parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

function parseReply(raw: string): EngineReply {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  if (status === null) throw new Error('the engine did not answer in HTTP');
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  return { status: Number(status[1]), body: /^transfer-encoding:\s*chunked/im.test(head) ? unchunk(body) : body };
}

/**
 * One GET to an engine's API, over a plain socket: the calls a dispatch
 * makes before it starts anything (_ping, an image inspect) need neither
 * dockerode nor node's HTTP client, whose loading alone costs a dry run
 * ~50 ms here. Rejects on a transport error or after `timeoutMs`; any HTTP
 * status resolves.
 */
export async function engineGet(connection: EngineConnection, path: string, timeoutMs: number): Promise<EngineReply> {
  // SSH and client certificates go through dockerode's transport.
  if ('ssh' in connection) throw new Error('a plain GET cannot go over SSH');
  let socket: Socket;
  if ('socketPath' in connection) socket = connect(connection.socketPath);
  else if (connection.protocol === 'https') socket = (await import('node:tls')).connect({ host: connection.host, port: connection.port, servername: connection.host });
  else socket = connect(connection.port, connection.host);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      try {
        resolve(parseReply(Buffer.concat(chunks).subarray(0, MAX_REPLY_BYTES).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    };
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REPLY_BYTES) {
        socket.destroy();
        finish();
      }
    });
    socket.on('end', finish);
    socket.on('error', reject);
    // HTTP/1.0: the engine closes the connection after its answer, which ends the read. Not a half-close
    // before that: an engine may take the end of the request stream for a client that went away.
    socket.write(`GET ${path} HTTP/1.0\r\nHost: docker\r\n\r\n`);
  });
}

/** An image reference as a path segment of the engine API: its "/" and ":" kept, as the engines route them. */
export function imagePath(image: string): string {
  return `/images/${encodeURIComponent(image).replace(/%2F/gi, '/').replace(/%3A/gi, ':')}/json`;
}
