import { describe, expect, it } from 'vitest';
import { programOf, qaExitHint } from '../../../src/core/qa/qa-hint.js';

describe('qaExitHint', () => {
  it.each<[string | undefined, number, string | undefined]>([
    ['npm test', 127, 'exit code 127 is "command not found": install npm (or a tool it runs) in the image img:1, or set repos.<org/name>.qa to commands the image has'],
    ['CI=1 composer test', 127, 'exit code 127 is "command not found": install composer (or a tool it runs) in the image img:1, or set repos.<org/name>.qa to commands the image has'],
    [undefined, 127, 'exit code 127 is "command not found": install the program QA runs (or a tool it runs) in the image img:1, or set repos.<org/name>.qa to commands the image has'],
    ['./check.sh', 126, './check.sh is not executable in the image img:1; fix its permissions, or set repos.<org/name>.qa to other commands'],
    ['npm test', 1, undefined],
    ['npm test', 0, undefined],
  ])('%s exiting %i', (command, code, expected) => {
    expect(qaExitHint(command, code, 'img:1')).toBe(expected);
  });

  it('names the first word that is not an assignment', () => {
    expect(programOf('  A=1 B=2 go test ./...')).toBe('go');
    expect(programOf('')).toBeUndefined();
  });
});
