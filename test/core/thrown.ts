import { expect } from 'vitest';
import { AgentctlError } from '../../src/core/errors.js';

/** Run `fn`, insist it throws an AgentctlError, and return that error for exact assertions. */
export function thrown(fn: () => unknown): AgentctlError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected the call to throw').toBeInstanceOf(AgentctlError);
  return caught as AgentctlError;
}
