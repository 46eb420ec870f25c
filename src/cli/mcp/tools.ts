import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { AgentctlError, ExitCode, usageError } from '../../core/errors.js';
import { namesHostPath } from '../../core/repo-spec.js';
import type { RunStatus } from '../../core/run/status.js';
import { displayLine } from '../../core/text/display-line.js';
import { runFiles } from '../../run/run-files.js';
import { resolveWorkspace } from '../../service/resolve-workspace.js';
import { waitForRun } from '../../service/wait-run.js';
import { stateHome, type Deps, type IO } from '../../deps.js';
import type { ListJson, StatusJson, WaitJson } from '../json-shapes.js';
import { loadConfigFor } from '../load.js';
import { operations } from '../operations/index.js';
import { toolName, type Operation } from '../operations/operation.js';
import { statusOp } from '../operations/runs.js';
import { commandInput, toolInput } from '../operations/tool-input.js';
import { runContextFor } from '../run-context.js';
import { toolError, toolResult } from './tool-result.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** An IO that keeps what a command prints: stdout is the result, stderr its notes. */
function captureIO(): IO & { stdout(): string; notes(): string[] } {
  let out = '';
  let err = '';
  return {
    isTTY: false,
    stdinIsTTY: false,
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    stdout: () => out,
    notes: () => err.split('\n').filter((line) => line !== ''),
  };
}

/** Run the operation's own command, as the CLI would, and take what it printed. */
async function runCommand(op: Operation, input: Record<string, unknown>, deps: Deps, config: string | undefined) {
  const io = captureIO();
  const command = await (op.command as NonNullable<Operation['command']>)();
  const code = await command.run(commandInput(op, input, config), { ...deps, io });
  if (code !== ExitCode.ok) throw new AgentctlError('command_failed', `${toolName(op)} ended with exit code ${code}`, { exitCode: code, hint: io.notes().join('\n') || undefined });
  return { out: io.stdout(), notes: io.notes() };
}

/** The prompt a run was started with (host-written, in its inbox), for the dispatch result. */
function promptOf(status: RunStatus): string | null {
  try {
    return readFileSync(runFiles(status.workspace, status.agent.split(':')[0] ?? '', false).prompt, 'utf8');
  } catch {
    return null;
  }
}

/** Progress notifications from a run's events, when the caller asked for progress. */
function progressSender(extra: Extra): (event: Record<string, unknown>) => Promise<void> {
  const token = extra._meta?.progressToken;
  let progress = 0;
  return async (event) => {
    if (token === undefined) return;
    progress += 1;
    const fields = ['state', 'reason', 'text', 'tool', 'message'].map((key) => event[key]).filter((value) => typeof value === 'string');
    const message = displayLine(`${String(event.type ?? 'event')}${fields.length > 0 ? `: ${fields.join(' ')}` : ''}`).slice(0, 500);
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message } });
  };
}

type Handler = (op: Operation, input: Record<string, unknown>, deps: Deps, config: string | undefined, extra: Extra) => Promise<CallToolResult>;

/** Most tools run their command with JSON output; a few shape or bound what it returns. */
const HANDLERS: Record<string, Handler> = {
  async dispatch(op, input, deps, config) {
    // The caller is another agent, steered by text from strangers: it names repositories, never paths of this machine.
    if (typeof input.repo === 'string' && namesHostPath(input.repo)) {
      throw usageError(
        'host_repo_refused',
        `repo ${JSON.stringify(input.repo)} names a path on this machine, which an MCP caller may not hand to an agent`,
        'pass org/name of a configured forge, or an https or ssh URL; to dispatch a local checkout, run "agentctl dispatch --repo PATH" in a terminal',
      );
    }
    const { out, notes } = await runCommand(op, input, deps, config);
    const result = JSON.parse(out) as Record<string, unknown>;
    // The run's id is its workspace as org/repo/slot, which every other tool takes.
    const id = relative(join(stateHome(deps), 'workspace'), result.workspace as string);
    // A dry run's plan carries its prompt; a started or queued run's prompt is in its inbox.
    return toolResult(result.dryRun === true ? { id, ...result } : { id, ...result, prompt: promptOf(result as unknown as RunStatus) }, notes);
  },
  async logs(op, input, deps, config) {
    const { out, notes } = await runCommand(op, input, deps, config);
    const lines = out.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return toolResult({ workspace: input.workspace, lines: lines.slice(-(input.lines as number)) }, notes);
  },
  async list(_op, input, deps, config) {
    const { out, notes } = await runCommand(statusOp, {}, deps, config);
    const runs = (JSON.parse(out) as StatusJson).runs.filter(
      (run) =>
        ((input.state as string[] | undefined)?.includes(run.state) ?? true) &&
        (input.repo === undefined || run.repo === input.repo) &&
        (input.agent === undefined || run.agent === input.agent || run.agent.split(':')[0] === input.agent) &&
        (input.pool === undefined || run.pool === input.pool),
    );
    const result: ListJson = { runs: runs.slice(0, input.limit as number), total: runs.length };
    return toolResult(result, notes);
  },
  async wait(_op, input, deps, config, extra) {
    const workspace = resolveWorkspace(input.workspace as string, deps);
    const notes: string[] = [];
    const ctx = { ...(await runContextFor(deps, (await loadConfigFor(deps, config)).config)), notify: (line: string) => void notes.push(line) };
    const send = progressSender(extra);
    const outcome = await waitForRun(workspace, ctx, input.timeout as number, send);
    // The global log has the end; the run's own log may not: the caller hears it either way.
    if (outcome.ended) await send({ type: 'finished', state: outcome.status.state, reason: outcome.status.reason });
    const result: WaitJson = { ended: outcome.ended, status: outcome.status };
    return toolResult(result, notes);
  },
};

async function runTool(op: Operation, input: Record<string, unknown>, deps: Deps, config: string | undefined, extra: Extra): Promise<CallToolResult> {
  const handler = HANDLERS[toolName(op)];
  if (handler !== undefined) return handler(op, input, deps, config, extra);
  const { out, notes } = await runCommand(op, input, deps, config);
  return toolResult(JSON.parse(out) as Record<string, unknown>, notes);
}

/** Every operation with a tool surface becomes a tool, its schema made from the operation's. */
export function registerTools(server: McpServer, deps: Deps, config: string | undefined): void {
  for (const op of operations) {
    if (op.tool === undefined) continue;
    server.registerTool(toolName(op), { description: `${op.summary}. Example: ${op.example}`, inputSchema: toolInput(op) }, async (input: Record<string, unknown>, extra: Extra) => {
      try {
        return await runTool(op, input, deps, config, extra);
      } catch (error) {
        return toolError(error);
      }
    });
  }
}
