import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AgentctlError, ExitCode } from '../../core/errors.js';

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a request may reach the tools: a browser page of another origin
 * (Origin set and not this server's) is refused with 403, as is a Host that
 * is not this loopback address (DNS rebinding); a missing or wrong bearer
 * token gets 401.
 */
function refusal(req: IncomingMessage, port: number, token: string): [number, string] | undefined {
  const local = [`127.0.0.1:${port}`, `localhost:${port}`];
  const origin = req.headers.origin;
  if (origin !== undefined && !local.some((host) => origin === `http://${host}`)) return [403, 'this origin may not use agentctl'];
  if (!local.includes(req.headers.host ?? '')) return [403, 'this host name may not use agentctl'];
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !sameSecret(auth.slice('Bearer '.length), token)) return [401, 'a bearer token is needed'];
  return undefined;
}

/** Serve Streamable HTTP on 127.0.0.1 only, statelessly: each request gets its own server and transport. */
export async function serveHttp(port: number, token: string, makeServer: () => McpServer, ready: (url: string) => void): Promise<void> {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const refused = refusal(req, port, token);
    if (refused !== undefined) {
      res.writeHead(refused[0], { 'content-type': 'text/plain', ...(refused[0] === 401 ? { 'www-authenticate': 'Bearer' } : {}) }).end(`${refused[1]}\n`);
      return;
    }
    const server = makeServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error) => reject(new AgentctlError('mcp_listen', `cannot listen on 127.0.0.1:${port}: ${error.message}`, { exitCode: ExitCode.failure, hint: 'choose another --http port' })));
    http.listen(port, '127.0.0.1', () => resolve());
  });
  ready(`http://127.0.0.1:${port}/mcp`);
  await new Promise<void>((resolve) => http.once('close', () => resolve()));
}
