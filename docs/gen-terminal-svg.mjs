// Renders a terminal recording made with `script -t` into an animated SVG:
//   node docs/gen-terminal-svg.mjs TYPESCRIPT TIMING [TITLE [FROM TO]] > docs/media/dispatch-wait.svg
// A tiny terminal: text, \r, \n, erase-line and the SGR colours agentctl uses; every other escape is dropped.
// docs/media/record-dispatch-wait.sh makes the recording from a real run.
import { readFileSync } from 'node:fs';

// [FROM TO]: shown as TO wherever the recording printed FROM (the demo's temporary directory, say).
const [typescriptPath, timingPath, title = 'agentctl dispatch --wait', from, to] = process.argv.slice(2);
const raw = readFileSync(typescriptPath);
// `script` writes a header line and a footer line around what the command printed.
const body = raw.subarray(raw.indexOf(10) + 1);
const timing = readFileSync(timingPath, 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split(' ').map(Number));

const COLOURS = { 31: '#e06c75', 32: '#98c379', 33: '#e5c07b', 34: '#61afef', 36: '#56b6c2', 90: '#7f848e', 2: '#7f848e' };
const FG = '#dcdfe4';
const COLUMNS = 100;
const screen = [[]];
let row = 0;
let col = 0;
let colour = FG;
let bold = false;

function write(text) {
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\x1b') {
      const m = /^\x1b\[([?0-9;]*)([A-Za-z])/.exec(text.slice(i));
      if (m === null) {
        i += 1;
        continue;
      }
      if (m[2] === 'K') screen[row].length = m[1] === '2' ? 0 : col;
      if (m[2] === 'm') {
        for (const code of (m[1] || '0').split(';').map(Number)) {
          if (code === 0) [colour, bold] = [FG, false];
          else if (code === 39) colour = FG;
          else if (code === 22) bold = false;
          else if (code === 1) bold = true;
          else if (COLOURS[code] !== undefined) colour = COLOURS[code];
        }
      }
      i += m[0].length;
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      col = 0;
      screen[row] ??= [];
    } else {
      // A terminal of COLUMNS wraps a longer line onto the next row.
      if (col === COLUMNS) {
        row += 1;
        col = 0;
        screen[row] ??= [];
      }
      screen[row][col] = { ch, colour, bold };
      col += 1;
    }
    i += 1;
  }
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function render() {
  return screen
    .map((cells, y) => {
      let out = '';
      let run = '';
      let style;
      const flush = () => {
        if (run !== '') out += `<tspan fill="${style.colour}"${style.bold ? ' font-weight="bold"' : ''}>${escape(run)}</tspan>`;
        run = '';
      };
      for (const cell of cells) {
        const c = cell ?? { ch: ' ', colour: FG, bold: false };
        if (style === undefined || c.colour !== style.colour || c.bold !== style.bold) {
          flush();
          style = c;
        }
        run += c.ch;
      }
      flush();
      return out === '' ? '' : `<text x="16" y="${52 + (y + 1) * 18}" xml:space="preserve">${out}</text>`;
    })
    .join('');
}

// The prompt line first, as a terminal shows it.
write(`\x1b[32m$\x1b[39m ${title}\r\n`);
const frames = [{ at: 0, svg: render() }];
let offset = 0;
let at = 0;
for (const [delay, bytes] of timing) {
  at += delay;
  const chunk = body.subarray(offset, offset + bytes).toString('utf8');
  write(from === undefined ? chunk : chunk.replaceAll(from, to ?? ''));
  offset += bytes;
  const svg = render();
  if (svg !== frames.at(-1).svg) frames.push({ at, svg });
}
const HOLD = 4;
const total = at + HOLD;
const width = COLUMNS * 8.4 + 32;
const height = 52 + (screen.length + 1) * 18;
const pct = (t) => ((t / total) * 100).toFixed(2);
const styles = frames
  .map((frame, i) => {
    const end = i + 1 < frames.length ? frames[i + 1].at : total;
    const hidden = end < total ? `${(Number(pct(end)) + 0.01).toFixed(2)}%,100%{opacity:0}` : '';
    return `@keyframes f${i}{0%{opacity:0}${pct(frame.at)}%,${pct(end)}%{opacity:1}${hidden}}.f${i}{opacity:0;animation:f${i} ${total.toFixed(2)}s step-end infinite}`;
  })
  .join('\n');

process.stdout.write(`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${height}" viewBox="0 0 ${Math.ceil(width)} ${height}" role="img" aria-label="${escape(title)} in a terminal">
<style>
text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px}
${styles}
</style>
<rect width="100%" height="100%" rx="8" fill="#282c34"/>
<circle cx="20" cy="20" r="6" fill="#e06c75"/><circle cx="40" cy="20" r="6" fill="#e5c07b"/><circle cx="60" cy="20" r="6" fill="#98c379"/>
${frames.map((frame, i) => `<g class="f${i}">${frame.svg}</g>`).join('\n')}
</svg>
`);
