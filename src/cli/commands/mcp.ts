import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ExitCode, usageError } from '../../core/errors.js';
import { agentctlVersion } from '../../version.js';
import type { Deps } from '../deps.js';
import { loadConfigFor } from '../load.js';
import { serveHttp } from '../mcp/http.js';
import { registerTools } from '../mcp/tools.js';
import { mcpOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';

/**
 * `agentctl mcp`: the operations as MCP tools, on stdio (the client spawns
 * agentctl) or, with --http PORT, Streamable HTTP on 127.0.0.1 behind the
 * bearer token in the variable mcp.token_env names. The SDK loads only here.
 */
export async function run(raw: unknown, deps: Deps): Promise<number> {
  const opts = parseOptions(mcpOp.input, raw, 'mcp');
  // Read once up front: a broken config is an error now, not on every call.
  const { config } = await loadConfigFor(deps, opts.config);
  const makeServer = () => {
    const server = new McpServer({ name: 'agentctl', version: agentctlVersion() });
    registerTools(server, deps, opts.config);
    return server;
  };
  if (opts.http !== undefined) {
    const name = config.mcp.token_env;
    const token = deps.env[name];
    if (token === undefined || token.length < 16) {
      throw usageError('mcp_token', `--http needs a bearer token of at least 16 characters in $${name}`, `export ${name}=$(openssl rand -hex 32), or name another variable with mcp.token_env in the config`);
    }
    await serveHttp(opts.http, token, makeServer, (url) => deps.io.err(`agentctl mcp: serving ${url} (token from $${name})\n`));
    return ExitCode.ok;
  }
  const server = makeServer();
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(new StdioServerTransport());
  await closed;
  await server.close();
  return ExitCode.ok;
}
