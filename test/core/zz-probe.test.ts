import { it } from 'vitest';
import { parseConfigText } from '../../src/core/config/parse-config.js';
import { parseDocument, LineCounter } from 'yaml';
function t(f: () => unknown) { try { return f(); } catch (e: any) { return { code: e.code, msg: e.message, exit: e.exitCode } } }
it('probe', () => {
  for (const text of ['defaults:\n  agent: codex\n  org: [acme\n', 'defaults:\n  agent: codex\n  agent: claude\n', 'a:\n  b: 1\n c: 2\n', 'defaults:\n  agent: "x\n', 'x: 1\n\ty: 2\n', 'defaults: {agent: codex\n', 'a: 1\nb: c: d\n']) {
    console.log(JSON.stringify(text), t(() => parseConfigText(text, 'c.yaml')));
    const lc = new LineCounter();
    const d = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    console.log(d.errors.map((e) => [e.linePos, e.pos, e.pos.map((p) => lc.linePos(p).line)]));
  }
  console.log(t(() => parseConfigText('', 'c.yaml')), t(() => parseConfigText('hello\n', 'c.yaml')), t(() => parseConfigText('- a\n', 'c.yaml')));
  console.log(t(() => parseConfigText('foo: 1\n', 'c.yaml')));
  console.log(t(() => parseConfigText('defaults:\n  agent: codex\ntimeouts:\n  grace: -1\n', 'c.yaml')));
  console.log(t(() => parseConfigText('pools:\n  codex:\n    limit: 0\n', 'c.yaml')));
});
