import { operations } from './index.js';
import { commandName, fieldShape, flagOf, NOT_FLAGS, toolName, type Operation } from './operation.js';
import { toolInput } from './tool-input.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function usage(op: Operation): string {
  const args = op.positionals.map((arg) => (arg.required ? `<${arg.name}>` : `[${arg.name}]`));
  return op.command === undefined ? `(MCP tool only)` : `agentctl ${[commandName(op), '[options]', ...args].join(' ')}`;
}

function flagRows(op: Operation): string[] {
  const rows: string[] = [];
  for (const arg of op.positionals) {
    // A tool takes its positionals as named fields.
    const name = op.command === undefined ? arg.name : arg.required ? `<${arg.name}>` : `[${arg.name}]`;
    rows.push(`| \`${name}\` | ${op.command === undefined ? '`<string>`' : 'argument'}${arg.required ? ', required' : ''} |  | ${cell(arg.description)} |`);
  }
  for (const [key, field] of Object.entries(op.input.shape)) {
    if (NOT_FLAGS.has(key) || (op.fixed !== undefined && key in op.fixed)) continue;
    const spelling = op.flags?.[key] ?? {};
    if (spelling.hidden === true) continue;
    const shape = fieldShape(field);
    const flag = `${spelling.short === undefined ? '' : `-${spelling.short}, `}${op.command === undefined ? key : flagOf(key)}`;
    const placeholder = `\`<${spelling.value ?? flagOf(key).slice(2)}>\``;
    const value = shape.kind === 'boolean' ? 'switch' : shape.kind === 'list' ? `${placeholder}, repeatable` : placeholder;
    // A switch is off and a list empty unless given: only real defaults are worth a cell.
    const fallback = shape.default === undefined || shape.default === false || (Array.isArray(shape.default) && shape.default.length === 0) ? '' : `\`${JSON.stringify(shape.default)}\``;
    rows.push(`| \`${flag}\` | ${cell(value)}${shape.required ? ', required' : ''} | ${fallback} | ${cell(shape.description)} |`);
  }
  return rows;
}

/** docs/reference/commands.md: every operation, generated from its definition (npm run docs:commands). */
export function commandsReference(): string {
  let out = '# Command reference\n\n<!-- Generated from src/cli/operations by `npm run docs:commands`; do not edit by hand. -->\n\n';
  out += 'Every command and MCP tool is made from one definition (src/cli/operations): the flags below, the MCP tool\'s input schema and `--help` cannot drift apart. Every command also takes the global `--config <file>` and `--debug`.\n';
  for (const op of operations) {
    out += `\n## ${op.command === undefined ? toolName(op) : `agentctl ${commandName(op)}`}\n\n${op.summary}.\n\n\`\`\`\n${usage(op)}\n${op.example}\n\`\`\`\n\n`;
    const rows = flagRows(op);
    if (rows.length > 0) out += `| ${op.command === undefined ? 'input' : 'flag'} | value | default | meaning |\n| --- | --- | --- | --- |\n${rows.join('\n')}\n\n`;
    if (op.tool === undefined) {
      out += 'No MCP tool.\n';
    } else {
      const fields = Object.keys(toolInput(op).shape);
      out += `MCP tool \`${toolName(op)}\`${fields.length === 0 ? ', no input' : `, input: ${fields.map((field) => `\`${field}\``).join(', ')}`}.\n`;
    }
  }
  return out;
}
