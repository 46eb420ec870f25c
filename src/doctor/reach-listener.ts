import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { REACH_PATH } from '../core/container/reach-probe.js';

/** A request line and its headers: the probe's are far smaller. */
const MAX_HEADER_BYTES = 4096;
/** A caller that says nothing is dropped. */
const REQUEST_MS = 5000;

export interface ReachListener {
  /** The port it listens on. */
  port: number;
  /** The known node ids that have called in with the token. */
  reached: ReadonlySet<string>;
  close(): Promise<void>;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * doctor's listener for the reach probe, on the address a run's courier
 * would use. It takes `GET /reach?node=<id>` with the token, and records the
 * id only when it is one of `nodes` (the manager's own list): anything the
 * caller says is compared, never kept or echoed. Every answer is a bare
 * status; a body is never read, and a request with one is refused.
 */
export function listenForReach(host: string, token: string, nodes: readonly string[]): Promise<ReachListener> {
  const known = new Set(nodes);
  const reached = new Set<string>();
  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_MS, headersTimeout: REQUEST_MS, connectionsCheckingInterval: 1000 }, (request, response) => {
    const answer = (status: number) => {
      // Once the answer is out, the connection goes: what the caller still sends is never read.
      response.on('finish', () => request.socket.destroy());
      response.writeHead(status, { connection: 'close', 'content-length': '0' });
      response.end();
    };
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? '0') !== 0;
    if (request.method !== 'GET' || hasBody) return answer(400);
    if (!tokenMatches(request.headers.authorization, token)) return answer(403);
    const url = new URL(request.url ?? '/', 'http://probe');
    const node = url.searchParams.get('node');
    if (url.pathname !== REACH_PATH || node === null || !known.has(node)) return answer(404);
    reached.add(node);
    answer(204);
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : 0,
        reached,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
