import { describe, expect, it } from 'vitest';
import { displayLine, displayOutput, displayText } from '../../../src/core/text/display-line.js';

const ESC = '\u001b';

describe('displayText: untrusted multi-line text for a terminal', () => {
  it.each([
    ['plain text', 'Which database?\nPostgres or SQLite', 'Which database?\nPostgres or SQLite'],
    ['tabs stay', 'a\tb', 'a\tb'],
    ['colour (CSI SGR)', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['cursor up and erase line (CSI)', `done${ESC}[1A${ESC}[2Kapproved`, 'doneapproved'],
    ['private CSI (hide cursor)', `${ESC}[?25lx`, 'x'],
    ['window title (OSC ended by BEL)', `${ESC}]0;pwned\u0007title`, 'title'],
    ['hyperlink (OSC ended by ST)', `${ESC}]8;;https://evil.example${ESC}\\click${ESC}]8;;${ESC}\\`, 'click'],
    ['unterminated OSC eats to the end', `ok${ESC}]52;c;ZXZpbA==`, 'ok'],
    ['device control string', `${ESC}P+q544e${ESC}\\after`, 'after'],
    ['reset (RIS) and charset selection', `${ESC}c${ESC}(0x`, 'x'],
    ['8-bit CSI', '\u009b2Jwiped', 'wiped'],
    ['8-bit OSC', '\u009d0;title\u0007rest', 'rest'],
    ['carriage return cannot overwrite a line', 'rm -rf /\rls', 'rm -rf /ls'],
    ['backspace, bell, NUL, DEL', 'a\bb\u0007c\u0000d\u007fe', 'abcde'],
    ['lone ESC before a newline', `x${ESC}\ny`, 'x\ny'],
    ['non-ASCII text stays', 'Grüße – 日本 ✓', 'Grüße – 日本 ✓'],
  ])('%s', (_name, input, expected) => {
    expect(displayText(input)).toBe(expected);
  });
});

describe('displayLine: untrusted text as one line', () => {
  it.each([
    ['newlines go', 'a\nb', 'ab'],
    ['tabs become spaces', 'a\tb', 'a  b'],
    ['escapes go', `${ESC}[2J${ESC}]0;t\u0007x`, 'x'],
  ])('%s', (_name, input, expected) => {
    expect(displayLine(input)).toBe(expected);
  });
});

describe('displayOutput: the last filter before stdout and stderr', () => {
  it.each([
    ['plain text is untouched', 'status: ok\n\tdetail\n', 'status: ok\n\tdetail\n'],
    ["agentctl's own colours stay", `${ESC}[32mcompleted${ESC}[39m: x\n`, `${ESC}[32mcompleted${ESC}[39m: x\n`],
    ['bold and dim stay', `${ESC}[1mWorkspace${ESC}[22m ${ESC}[2m(reused)${ESC}[22m`, `${ESC}[1mWorkspace${ESC}[22m ${ESC}[2m(reused)${ESC}[22m`],
    ['anything else goes', `${ESC}[32mok${ESC}[39m ${ESC}]0;pwned\u0007${ESC}[2J${ESC}[5mblink\r`, `${ESC}[32mok${ESC}[39m blink`],
  ])('%s', (_name, input, expected) => {
    expect(displayOutput(input)).toBe(expected);
  });

  it.each([
    ['a JSON document', JSON.stringify({ title: `a\u009b2Jb${ESC}[31m\u007f` }, null, 2)],
    ['JSON lines', `${JSON.stringify({ note: 'x\u009d0;t\u0007' })}\n${JSON.stringify({ note: 'plain' })}\n`],
  ])('keeps the data of %s, with every control escaped', (_name, json) => {
    const out = displayOutput(json);
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    const parse = (text: string) => text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
    if (json.includes('\n  ')) expect(JSON.parse(out)).toEqual(JSON.parse(json));
    else expect(parse(out)).toEqual(parse(json));
  });
});
