import { z } from 'zod';
import { once, type Operation } from './operation.js';

const chainInput = once(() =>
  z.object({
    args: z.array(z.string()).min(1, 'needs a chain file').max(1, 'takes one chain file'),
    dryRun: z.boolean().default(false).describe('check the file and print the order the tasks would start in; prepare and start nothing'),
    json: z.boolean().default(false).describe('print one JSON object'),
    config: z.string().optional(),
  }),
);

/** No MCP tool: the chain file is a path on the caller's machine. */
export const chainOp = {
  path: ['chain'],
  summary: 'submit a graph of tasks from a YAML file: each is queued until the tasks it depends on have completed',
  example: 'agentctl chain feature.yaml --dry-run',
  positionals: [{ name: 'file', description: 'the chain file (YAML: tasks with id, task, agent, depends_on, ...)', required: true }],
  get input() {
    return chainInput();
  },
  command: () => import('../commands/chain.js'),
} satisfies Operation;
