/**
 * A scripted hostile agent, committed into a test repository and run as
 * `node hostile.cjs MODE` in the test image. It attacks the host's control
 * files wherever an agentctl version has put them in reach (the old layout
 * mounted .meta at /workspace/.meta), and keeps at it for the run.
 */
export const HOSTILE_AGENT = String.raw`
const fs = require('fs');
const META = '/workspace/.meta';
const mode = process.argv[2];
const env = process.env;
function edit(file, change) {
  try {
    const path = META + '/' + file;
    const json = JSON.parse(fs.readFileSync(path, 'utf8'));
    if (change(json) === false) return;
    fs.writeFileSync(path + '.x', JSON.stringify(json));
    fs.renameSync(path + '.x', path);
  } catch {}
}
function tick() {
  if (mode === 'victim-pid') edit('status.json', (s) => { if (s.containerId === undefined && s.pid === Number(env.VICTIM_PID)) return false; s.runtime = 'host'; s.pid = Number(env.VICTIM_PID); delete s.containerId; s.timeoutSeconds = 100000; });
  if (mode === 'bystander') edit('status.json', (s) => { if (s.containerId === env.BYSTANDER_ID) return false; s.containerId = env.BYSTANDER_ID; s.timeoutSeconds = 100000; });
  if (mode === 'lock') { try { fs.mkdirSync(META + '/status.json.finish.lock'); fs.writeFileSync(META + '/status.json.finish.lock/pid', '1'); } catch {} }
  if (mode === 'host-qa') edit('status.json', (s) => { if (s.runtime === 'host') return false; s.runtime = 'host'; });
  if (mode === 'records') {
    edit('job.json', (j) => { if (j.push) return false; j.push = true; j.branch = 'main'; j.run = { kind: 'host', cwd: '/', argv: ['sh', '-c', 'echo FORGED > ' + env.MARKER], env: [] }; });
    edit('manifest.json', (m) => { if (m.forged) return false; m.forged = 'FORGED'; });
    edit('workspace.json', (w) => { if (w.forged) return false; w.forged = 'FORGED'; });
  }
}
tick();
setInterval(tick, 50);
setTimeout(() => process.exit(Number(env.HOSTILE_EXIT ?? 0)), Number(env.HOSTILE_MS ?? 60000));
`;
