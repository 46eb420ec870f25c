import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { operations } from '../../../src/cli/operations/index.js';
import { fieldShape, flagOf, NOT_FLAGS, toolName } from '../../../src/cli/operations/operation.js';
import { toolInput } from '../../../src/cli/operations/tool-input.js';
import { fakeIO } from '../../fakes/fake-io.js';
import type { Deps } from '../../../src/deps.js';

async function help(...words: string[]): Promise<string> {
  const io = fakeIO();
  const code = await main(['node', 'agentctl', ...words, '--help'], () => ({ io, env: {}, home: '/nowhere', cwd: '/' }) as unknown as Deps);
  expect(code).toBe(0);
  return io.stdout;
}

describe('one definition per operation', () => {
  it('every CLI command is an operation, and every operation with a command is on the CLI', async () => {
    const commands = ((await help()).split('Commands:\n')[1] ?? '').split('\n\n')[0] ?? '';
    const listed = [...commands.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]).filter((name) => name !== 'help');
    const defined = [...new Set(operations.filter((op) => op.command !== undefined).map((op) => op.path[0]))];
    expect(listed).toEqual(defined);
  });

  it("each command's help shows exactly its definition's flags, positionals and example", async () => {
    for (const op of operations.filter((o) => o.command !== undefined)) {
      const text = await help(...op.path);
      const flags = [...text.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).filter((flag) => flag !== '--help');
      const expected = Object.entries(op.input.shape)
        .filter(([key]) => !NOT_FLAGS.has(key) && !(key in (op.fixed ?? {})) && op.flags?.[key]?.hidden !== true)
        .map(([key]) => flagOf(key));
      expect(flags, op.path.join(' ')).toEqual(expected);
      for (const arg of op.positionals) expect(text).toContain(arg.required ? `<${arg.name}>` : `[${arg.name}]`);
      expect(text).toContain(op.example);
      for (const [key, field] of Object.entries(op.input.shape)) {
        if (!NOT_FLAGS.has(key) && op.flags?.[key]?.hidden !== true) expect(text.replace(/\s+/g, ' ')).toContain(fieldShape(field).description.slice(0, 30));
      }
    }
  });

  it('every command, group and agentctl itself shows at least one example line in --help, as gh does', async () => {
    const commands = operations.filter((o) => o.command !== undefined);
    const groups = [...new Set(commands.filter((op) => op.path.length > 1).map((op) => op.path[0] as string))];
    for (const words of [[], ...groups.map((group) => [group]), ...commands.map((op) => [...op.path])]) {
      const text = await help(...words);
      const examples = text.split(/\nExamples?:\n/)[1] ?? '';
      expect(examples, `agentctl ${words.join(' ')} --help`).toMatch(/^ {2}(\S.* )?agentctl \S+/);
    }
  });

  it("every MCP tool's input is its operation's fields, less what only a terminal wants", () => {
    const tools = operations.filter((op) => op.tool !== undefined);
    expect(tools.map(toolName).sort()).toEqual(['answer', 'cancel', 'dispatch', 'list', 'logs', 'resume', 'status', 'wait']);
    for (const op of tools) {
      const fields = Object.keys(toolInput(op).shape);
      const own = Object.keys(op.input.shape).filter((key) => !NOT_FLAGS.has(key) && !(op.tool?.omit ?? []).includes(key) && !(key in (op.tool?.fixed ?? {})));
      expect(fields, toolName(op)).toEqual([...op.positionals.map((arg) => arg.name), ...own, ...Object.keys(op.tool?.extra ?? {}).filter((key) => !own.includes(key))]);
    }
  });

  it('the dispatch tool takes templates by name only: a file is a path on the host', () => {
    const dispatch = operations.find((op) => toolName(op) === 'dispatch');
    const input = toolInput(dispatch as (typeof operations)[number]);
    expect(input.safeParse({ repo: 'acme/web', template: 'coding' }).success).toBe(true);
    const refused = input.safeParse({ repo: 'acme/web', template: '/etc/shadow' });
    expect(refused.error?.issues[0]).toMatchObject({ path: ['template'], message: 'takes a template name, not a file' });
    expect(input.safeParse({ repo: 'acme/web', taskFile: '/etc/shadow' }).error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it('the tools take no field the command line does not also take, except the bounded extras', () => {
    for (const op of operations.filter((o) => o.tool !== undefined && o.command !== undefined)) {
      for (const key of Object.keys(toolInput(op).shape)) {
        const fromCli = key in op.input.shape || op.positionals.some((arg) => arg.name === key);
        expect(fromCli || key in (op.tool?.extra ?? {}), `${toolName(op)}.${key}`).toBe(true);
      }
    }
  });
});

describe('what the definitions and the MCP server may load', () => {
  const src = fileURLToPath(new URL('../../../src/', import.meta.url));
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((file) => /\.tsx?$/.test(file));
  const staticImports = (file: string) => [...readFileSync(join(src, file), 'utf8').matchAll(/^import (?!type)[^;]*? from '([^']+)'/gm)].map((m) => m[1] as string);

  it('the definitions import only zod and each other: start-up stays light, commands load lazily', () => {
    for (const file of files.filter((f) => f.startsWith('cli/operations/'))) {
      for (const spec of staticImports(file)) expect(spec === 'zod' || spec.startsWith('./'), `${file}: ${spec}`).toBe(true);
    }
  });

  it('only the mcp command (and the modules only it loads) imports the MCP SDK', () => {
    const users = files.filter((file) => readFileSync(join(src, file), 'utf8').includes("'@modelcontextprotocol/sdk"));
    expect(users.sort()).toEqual(['cli/commands/mcp.ts', 'cli/mcp/http.ts', 'cli/mcp/tool-result.ts', 'cli/mcp/tools.ts']);
    const importers = files.filter((file) => /from '(\.\.\/)*(mcp|cli\/mcp)\//.test(readFileSync(join(src, file), 'utf8')) && !file.startsWith('cli/mcp/'));
    expect(importers).toEqual(['cli/commands/mcp.ts']);
  });
});
