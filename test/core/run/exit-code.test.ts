import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/core/run/exit-code.js';
import type { QaResult, RunState, RunStatus } from '../../../src/core/run/status.js';

function status(state: RunState, qa?: QaResult['state']): RunStatus {
  return {
    version: 1,
    state,
    workspace: '/ws',
    repo: 'acme/web',
    agent: 'codex',
    pool: 'codex',
    runtime: 'docker',
    runCount: 1,
    warnings: [],
    qa: qa === undefined ? undefined : { state: qa, commands: ['npm test'], log: '/ws/.meta/qa.log' },
  };
}

describe('exitCodeFor', () => {
  it.each<[RunState, QaResult['state'] | undefined, number]>([
    ['completed', undefined, 0],
    ['completed', 'passed', 0],
    ['completed', 'skipped', 0],
    ['completed', 'failed', 12],
    ['failed', undefined, 10],
    ['failed', 'failed', 10],
    ['blocked', undefined, 11],
    ['blocked', 'failed', 11],
    ['cancelled', undefined, 13],
    ['running', undefined, 14],
    ['queued', undefined, 14],
    ['prepared', undefined, 14],
  ])('%s with QA %s → %i', (state, qa, code) => {
    expect(exitCodeFor(status(state, qa))).toBe(code);
  });
});
