import { startHarness } from './support.js';
import { run } from '../support/proc.js';
import { freePort } from '../support/ports.js';
const h = await startHarness();
const port = await freePort();
const p = run('sipp', ['-sf', '/work/main/test/sipp/uas-answer-lossy.xml', '-i', '127.0.0.1', '-p', String(port), '-m', '5', '-nostdin', '-timeout', '40s', '-lost', '10', '-trace_msg'], { cwd: '/tmp/lossdbg' });
await new Promise((r) => setTimeout(r, 500));
let failed = false;
for (let i = 0; i < 5; i++) {
  try { await h.app.originate(`sip:callee@127.0.0.1:${port}`, 700); }
  catch (e) { console.log('FAILED call', i, (e as Error).message); failed = true; break; }
}
console.log('result', failed ? 'FAIL' : 'ok');
await p.stop('SIGKILL');
await h.stop(); process.exit(failed ? 1 : 0);
