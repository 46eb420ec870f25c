import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeForge, makeTempDir, type Forge } from '../support/git-fixtures.js';
import { BIN } from '../support/run-cli.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

const AGENTS = `agents:
  steps:
    command: [sh, -c, 'echo step one; sleep 1; echo step two; sleep 1; echo done > done.txt']
  sleeper:
    command: [sh, -c, 'sleep 60']
`;

let forge: Forge;
const engines = await testEngines();
const podman = engines.find((engine) => engine.name === 'podman');

beforeAll(() => {
  forge = makeForge();
  forge.createRepo('acme', 'web', { 'README.md': '# web\n', 'AGENTS.md': 'Keep it small.\n' });
});
afterAll(() => forge.cleanup());

function freshEnv(extra = ''): Record<string, string> {
  const home = makeTempDir('mcp');
  mkdirSync(join(home, 'config', 'agentctl'), { recursive: true });
  writeFileSync(
    join(home, 'config', 'agentctl', 'config.yaml'),
    `defaults:\n  forge: local\nforges:\n  local:\n    kind: forgejo\n    url: ${forge.url}\nruntime:\n  image: ${TEST_IMAGE}\n${AGENTS}${extra}`,
  );
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGENTCTL_HOME: join(home, 'state') };
  if (podman?.url) env[podman.hostVar] = podman.url;
  return env;
}

/** The SDK's own client, spawning the built `agentctl mcp` over stdio. */
async function connect(env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'agentctl-test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], env, stderr: 'ignore' }));
  return client;
}

const structured = (result: unknown) => (result as CallToolResult).structuredContent as Record<string, any>;
const text = (result: unknown) => ((result as CallToolResult).content[0] as { text: string }).text;

describe('agentctl mcp over stdio', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(freshEnv());
  });
  afterAll(async () => client.close());

  it('lists the tools made from the operations, each with its input schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['answer', 'cancel', 'dispatch', 'list', 'logs', 'resume', 'status', 'wait']);
    const dispatch = tools.find((tool) => tool.name === 'dispatch');
    expect(dispatch?.inputSchema.required).toEqual(['repo']);
    expect(Object.keys(dispatch?.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['repo', 'task', 'agent', 'issue', 'pr', 'branch', 'tag', 'org', 'template', 'persona', 'planTemplate', 'var', 'dryRun', 'priority', 'timeout', 'push', 'after']));
    // What only a terminal wants is not offered.
    expect(Object.keys(dispatch?.inputSchema.properties ?? {})).not.toEqual(expect.arrayContaining(['json']));
    expect(Object.keys(dispatch?.inputSchema.properties ?? {})).not.toContain('taskFile');
    expect((dispatch?.inputSchema.properties as Record<string, { description?: string }>).repo?.description).toBe('org/name, a git URL, or a local path');
    const wait = tools.find((tool) => tool.name === 'wait');
    expect(wait?.inputSchema.required).toEqual(['workspace']);
  });

  it('a dry-run dispatch returns the workspace and the prompt', async () => {
    const result = await client.callTool({ name: 'dispatch', arguments: { repo: 'acme/web', issue: '7', task: 'Fix the header.', dryRun: true } });
    expect(result.isError).toBeFalsy();
    const plan = structured(result);
    expect(plan.dryRun).toBe(true);
    expect(plan.workspace).toMatch(/workspace\/acme\/web\/task-7$/);
    expect(plan.id).toBe('acme/web/task-7');
    expect(plan.prompt).toContain('Fix the header.');
    expect(plan.prompt).toContain('Keep it small.');
    expect(text(result)).toContain(plan.workspace);
  });

  it('bad input is a tool error that names the field', async () => {
    const result = (await client.callTool({ name: 'dispatch', arguments: { repo: 'acme/web', priority: 'high' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/priority/);
    const missing = (await client.callTool({ name: 'dispatch', arguments: { task: 'x' } })) as CallToolResult;
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/repo/);
  });

  it('refuses a repo that names a path of this machine, even for a dry run', async () => {
    for (const repo of ['/etc', './web', '~/.ssh', '../acme/web', 'FILE:///srv/acme/web.git', 'backup.bundle']) {
      const result = (await client.callTool({ name: 'dispatch', arguments: { repo, task: 'x', dryRun: true } })) as CallToolResult;
      expect(result.isError, repo).toBe(true);
      expect(structured(result).error.code, repo).toBe('host_repo_refused');
      expect(text(result)).toContain('agentctl dispatch --repo PATH');
    }
  });

  it('a wait on a dry run says nothing runs there, at once', async () => {
    await client.callTool({ name: 'dispatch', arguments: { repo: 'acme/web', issue: '8', dryRun: true } });
    const result = (await client.callTool({ name: 'wait', arguments: { workspace: 'acme/web/task-8', timeout: 60 } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(structured(result).error.code).toBe('nothing_to_wait_for');
  });

  it("agentctl's own errors come back as tool errors with the message and hint", async () => {
    const result = (await client.callTool({ name: 'cancel', arguments: { workspace: 'acme/web/task-404' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('no workspace "acme/web/task-404"');
    expect(text(result)).toContain('hint: ');
    expect(structured(result).error.code).toBe('unknown_workspace');
  });
});

describe('agentctl mcp over HTTP', () => {
  const port = 20000 + (process.pid % 20000);
  const token = 'test-token-0123456789abcdef';
  let server: ReturnType<typeof spawn>;
  beforeAll(async () => {
    server = spawn(process.execPath, [BIN, 'mcp', '--http', String(port)], { env: { ...freshEnv(), AGENTCTL_MCP_TOKEN: token }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      server.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('serving') && resolve());
      server.once('exit', (code) => reject(new Error(`agentctl mcp --http exited ${code}`)));
    });
  });
  afterAll(() => void server.kill());

  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
  const post = (headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(initialize),
    });

  it('answers 401 without the token, and with a wrong one', async () => {
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong-token-0123456789abc' })).status).toBe(401);
  });

  it('refuses a foreign Origin, even with the token', async () => {
    expect((await post({ authorization: `Bearer ${token}`, origin: 'https://evil.example' })).status).toBe(403);
  });

  it('refuses a Host other than its loopback address (DNS rebinding), even with the token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { host: `evil.example:${port}`, authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once('error', reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status).toBe(403);
  });

  it('serves a client with the token', async () => {
    const response = await post({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"serverInfo"');
  });

  it('refuses to start without a token', async () => {
    const child = spawn(process.execPath, [BIN, 'mcp', '--http', String(port + 1)], { env: freshEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => void (err += chunk.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('AGENTCTL_MCP_TOKEN');
  });
});

describe('agentctl mcp runs on a real podman engine', () => {
  if (podman === undefined || !requireEngine(podman)) return;
  let client: Client;
  beforeAll(async () => {
    client = await connect(freshEnv());
  });
  afterAll(async () => client.close());

  it('a run dispatched by the tool is followed through wait, with progress notifications', async () => {
    const started = structured(await client.callTool({ name: 'dispatch', arguments: { repo: 'acme/web', issue: '1', agent: 'steps', runtime: 'podman' } }));
    expect(['running', 'queued']).toContain(started.state);
    expect(started.id).toBe('acme/web/task-1');
    expect(started.prompt).toContain('Keep it small.');
    const progress: string[] = [];
    const waited = await client.callTool({ name: 'wait', arguments: { workspace: started.workspace, timeout: 60 } }, undefined, {
      onprogress: (p) => void progress.push(p.message ?? ''),
      timeout: 90_000,
    });
    expect(structured(waited)).toMatchObject({ ended: true, status: { state: 'completed' } });
    // The run's own events, as they happened (the SDK's client may drop a notification that arrives with the result).
    expect(progress).toContain('text: step two');
    const logs = structured(await client.callTool({ name: 'logs', arguments: { workspace: started.workspace, lines: 2 } }));
    expect(logs.lines).toEqual(['step one', 'step two']);
    const listed = structured(await client.callTool({ name: 'list', arguments: { state: ['completed'], repo: 'acme/web' } }));
    expect(listed.runs.map((run: { workspace: string }) => run.workspace)).toEqual([started.workspace]);
    // answer and resume go through the same commands, with the same refusals.
    const answered = (await client.callTool({ name: 'answer', arguments: { workspace: started.workspace, text: 'PostgreSQL' } })) as CallToolResult;
    expect(answered.isError).toBe(true);
    expect(structured(answered).error.code).toBe('not_blocked');
    const resumed = (await client.callTool({ name: 'resume', arguments: { workspace: started.workspace } })) as CallToolResult;
    expect(resumed.isError).toBe(true);
    expect(structured(resumed).error).toMatchObject({ code: 'resume_unsupported', hint: expect.stringContaining('claude') });
  }, 120_000);

  it('cancels a running run, and a wait that gives up leaves the run going', async () => {
    const started = structured(await client.callTool({ name: 'dispatch', arguments: { repo: 'acme/web', issue: '2', agent: 'sleeper', runtime: 'podman' } }));
    const waited = structured(await client.callTool({ name: 'wait', arguments: { workspace: started.workspace, timeout: 1 } }));
    expect(waited).toMatchObject({ ended: false, status: { state: 'running' } });
    const cancelled = await client.callTool({ name: 'cancel', arguments: { workspace: started.workspace } });
    expect(cancelled.isError).toBeFalsy();
    expect(structured(cancelled).state).toBe('cancelled');
    const status = structured(await client.callTool({ name: 'status', arguments: { workspace: started.workspace } }));
    expect(status.runs[0].state).toBe('cancelled');
  }, 120_000);
});
