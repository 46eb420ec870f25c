import { describe, expect, it } from 'vitest';
import { MAX_CHAIN_BYTES, MAX_CHAIN_TASKS, planChain } from '../../../src/core/chain/chain-plan.js';
import { thrown } from '../thrown.js';

const ids = (text: string) => planChain('c.yaml', text).order.map((task) => task.id);

describe('planChain', () => {
  it('orders tasks after the ones they depend on, in file order where free', () => {
    const text = `name: feature
tasks:
  - { id: docs, repo: acme/web, task: d, depends_on: [build] }
  - { id: design, repo: acme/web, task: a }
  - { id: build, repo: acme/web, task: b, depends_on: [design] }
  - { id: lint, repo: acme/api, task: l }
`;
    expect(ids(text)).toEqual(['design', 'build', 'docs', 'lint']);
    const plan = planChain('c.yaml', text);
    expect(plan.name).toBe('feature');
    expect(plan.order[0]).toMatchObject({ id: 'design', repo: 'acme/web', depends_on: [], vars: {} });
  });

  it('takes the usual dispatch fields, numbers as strings where dispatch takes strings', () => {
    const [task] = planChain('c.yaml', 'tasks:\n  - { id: a, repo: acme/web, issue: 42, agent: claude, priority: 5, timeout: 60, push: true, vars: { n: 3 }, plan_template: p }\n').order;
    expect(task).toMatchObject({ issue: '42', agent: 'claude', priority: 5, timeout: 60, push: true, vars: { n: '3' }, plan_template: 'p' });
  });

  const refusals: Array<[string, string, string]> = [
    ['a cycle, named', 'tasks:\n  - { id: a, repo: r, depends_on: [c] }\n  - { id: b, repo: r, depends_on: [a] }\n  - { id: c, repo: r, depends_on: [b] }\n', 'the tasks depend on each other in a cycle: a -> c -> b -> a'],
    ['a task depending on itself', 'tasks:\n  - { id: a, repo: r, depends_on: [a] }\n', 'cycle: a -> a'],
    ['an unknown id', 'tasks:\n  - { id: a, repo: r, depends_on: [ghost] }\n', 'task a: depends_on: no task has the id "ghost"'],
    ['a duplicate id', 'tasks:\n  - { id: a, repo: r }\n  - { id: a, repo: s }\n', 'task a: id: used by two tasks'],
    ['an unknown field, naming task and field', 'tasks:\n  - { id: a, repo: r, colour: red }\n', 'task a: Unrecognized key: "colour"'],
    ['a field of the wrong type', 'tasks:\n  - { id: build, repo: r, priority: high }\n', 'task build: priority: Invalid input: expected number, received string'],
    ['a missing repo', 'tasks:\n  - { id: a, task: t }\n', 'task a: repo: Invalid input'],
    ['a task without an id', 'tasks:\n  - { repo: r }\n', 'task #1: id: Invalid input'],
    ['no tasks', 'tasks: []\n', 'tasks: needs at least one task'],
    ['from_after without exactly one dependency', 'tasks:\n  - { id: a, repo: r }\n  - { id: b, repo: r }\n  - { id: c, repo: r, depends_on: [a, b], from_after: true }\n', 'task c: from_after: needs exactly one task in depends_on (got 2)'],
    ['not YAML', 'tasks: [\n', 'is not valid YAML'],
  ];
  it.each(refusals)('refuses %s', (_name, text, message) => {
    const error = thrown(() => planChain('c.yaml', text));
    expect(error.code).toBe('chain_invalid');
    expect(error.message).toContain(message);
    expect(error.message.startsWith('chain c.yaml: ')).toBe(true);
  });

  it('bounds the file and the number of tasks', () => {
    expect(thrown(() => planChain('c.yaml', `# ${'x'.repeat(MAX_CHAIN_BYTES)}\ntasks: []\n`)).message).toContain(`larger than ${MAX_CHAIN_BYTES} bytes`);
    const many = `tasks:\n${Array.from({ length: MAX_CHAIN_TASKS + 1 }, (_, i) => `  - { id: t${i}, repo: r }\n`).join('')}`;
    expect(thrown(() => planChain('c.yaml', many)).message).toContain(`takes at most ${MAX_CHAIN_TASKS} tasks`);
  });
});
