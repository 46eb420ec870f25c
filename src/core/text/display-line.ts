const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Text from an agent is untrusted: before it reaches a terminal, drop escape
 * sequences (colours, cursor moves, title changes) and control characters,
 * and turn tabs into spaces.
 */
export function displayLine(line: string): string {
  return line.replace(ESCAPES, '').replace(/\t/g, '  ').replace(CONTROLS, '');
}
