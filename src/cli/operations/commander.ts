import type { Command, Option as OptionClass } from 'commander';
import { fieldShape, flagOf, NOT_FLAGS, type Operation } from './operation.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --agent <name[:model]>: the value's name from the definition, else the flag's own words. */
function flagsOf(op: Operation, key: string, kind: 'boolean' | 'value' | 'list'): string {
  const spelling = op.flags?.[key] ?? {};
  const long = flagOf(key);
  const short = spelling.short === undefined ? '' : `-${spelling.short}, `;
  return kind === 'boolean' ? `${short}${long}` : `${short}${long} <${spelling.value ?? long.slice(2)}>`;
}

/**
 * The commander command of an operation, made from its definition: positional
 * arguments in order; a boolean field is --flag, a list is a repeatable
 * --flag <value>, anything else --flag <value>; a required field is a
 * mandatory option; the field's description is its help.
 */
export function addOperation(parent: Command, name: string, op: Operation, Option: typeof OptionClass, action: (...args: unknown[]) => Promise<void>): Command {
  const command = parent.command(name).description(op.summary);
  for (const arg of op.positionals) command.argument(arg.required ? `<${arg.name}>` : `[${arg.name}]`, arg.description);
  for (const [key, field] of Object.entries(op.input.shape)) {
    if (NOT_FLAGS.has(key) || (op.fixed !== undefined && key in op.fixed)) continue;
    const shape = fieldShape(field);
    const option = new Option(flagsOf(op, key, shape.kind), shape.description);
    if (shape.kind === 'list') option.argParser(collect).default([]);
    // Booleans default through the schema, so help does not say "(default: false)" on every switch.
    else if (shape.kind === 'value' && shape.default !== undefined) option.default(shape.default);
    if (shape.required) option.makeOptionMandatory();
    if (op.flags?.[key]?.hidden === true) option.hideHelp();
    command.addOption(option);
  }
  command.addHelpText('after', `\nExample:\n  ${op.example}\n`);
  return command.action(action);
}

/** The examples of a group's sub-commands (`agentctl image --help`), or of the first few commands (`agentctl --help`). */
export function examplesOf(ops: readonly Operation[]): string {
  return `\nExamples:\n${ops
    .slice(0, 4)
    .map((op) => `  ${op.example}\n`)
    .join('')}`;
}
