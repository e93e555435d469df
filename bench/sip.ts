/**
 * `npm run bench:sip`: SIP engine throughput, concurrent dialogs and answer latency.
 *
 * Topology (all loopback): sipp UAC -> engine (own process, `src/sip/engine/main.ts`) <-> srf UAS app (this
 * process, drachtio-srf createUAS answering 200 with SDP). Writes docs/benchmarks-sip.md.
 *
 * Options (env): BENCH_RATES=100,200,... (ramp), BENCH_STEP_S=6, BENCH_CONCURRENT=5000, BENCH_HOLD_MS=30000,
 * BENCH_PROFILE=1 (engine runs with --cpu-prof; profile written to var/profiles/).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Srf from 'drachtio-srf';
import { freePort } from '../test/support/ports.js';
import { run, type Proc } from '../test/support/proc.js';

const ROOT = resolve(import.meta.dirname, '..');
const SCENARIO = join(ROOT, 'test/sipp/bench-uac.xml');
const SECRET = 'bench-secret';
const SDP = ['v=0', 'o=bench 1 1 IN IP4 127.0.0.1', 's=bench', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

const rates = (process.env.BENCH_RATES ?? '100,200,300,400,500,600,800,1000,1200,1500').split(',').map(Number);
const stepSeconds = Number(process.env.BENCH_STEP_S ?? 6);
const concurrentTarget = Number(process.env.BENCH_CONCURRENT ?? 5000);
const holdMs = Number(process.env.BENCH_HOLD_MS ?? 30000);
const steps = new Set((process.env.BENCH_STEPS ?? 'ramp,concurrent,latency').split(','));

interface SippRun {
  code: number | null;
  output: string;
  dir: string;
}

async function startEngine(sipPort: number, controlPort: number): Promise<Proc> {
  const args = ['--import', 'tsx'];
  if (process.env.BENCH_PROFILE === '1') {
    const dir = join(ROOT, 'var/profiles');
    mkdirSync(dir, { recursive: true });
    args.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  args.push(join(ROOT, 'src/sip/engine/main.ts'));
  const p = run(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env, DRACHTIO_HOST: '127.0.0.1', DRACHTIO_PORT: String(controlPort), DRACHTIO_SECRET: SECRET,
      SIP_HOST: '127.0.0.1', SIP_PORT: String(sipPort), LOG_LEVEL: 'warn',
    },
  });
  // main.ts logs at info only when ready; LOG_LEVEL=warn hides it, so poll the control port instead
  return p;
}

async function connectApp(controlPort: number): Promise<{ srf: Srf; active: () => number; peak: () => number; resetPeak: () => void; answered: () => number }> {
  const srf = new Srf();
  let active = 0;
  let peak = 0;
  let answered = 0;
  srf.on('error', () => undefined);
  srf.invite((req, res) => {
    // callback form: srf calls it synchronously when the engine confirms the 200, so the 'destroy' listener is in
    // place even if the BYE arrives in the same read (a Promise .then could run after srf already handled the BYE)
    srf.createUAS(req, res, { localSdp: SDP }, (err: unknown, dlg: Srf.Dialog) => {
      if (err) return;
      answered++;
      active++;
      if (active > peak) peak = active;
      dlg.on('destroy', () => active--);
    });
  });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolveConn) => {
      const t = setTimeout(() => resolveConn(false), 1000);
      srf.once('connect', (err: Error | null) => {
        clearTimeout(t);
        resolveConn(!err);
      });
      if (i === 0) srf.connect({ host: '127.0.0.1', port: controlPort, secret: SECRET });
    });
    if (ok) break;
    if (i === 99) throw new Error('app could not connect to the engine');
  }
  return { srf, active: () => active, peak: () => peak, resetPeak: () => (peak = active), answered: () => answered };
}

async function sipp(sipPort: number, args: string[]): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sip-'));
  const port = await freePort();
  const p = run('sipp', [
    `127.0.0.1:${sipPort}`, '-sf', SCENARIO, '-i', '127.0.0.1', '-p', String(port), '-s', 'bench',
    '-nostdin', '-timeout_error', '-max_socket', '60000', ...(process.env.BENCH_DEBUG ? ['-trace_msg'] : []), ...args,
  ], { cwd: dir });
  const code = await p.exited;
  return { code, output: p.output(), dir };
}

function stat(output: string, name: string): number {
  // sipp's final screen: "Successful call  |  0  |  123" (periodic | cumulative)
  const m = new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(output);
  return m ? Number(m[1]) : NaN;
}

/** CPU time (user+system, ms) used so far by a process, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const sipPort = await freePort();
  const controlPort = await freePort();
  const engine = await startEngine(sipPort, controlPort);
  const app = await connectApp(controlPort);
  const results: string[] = [];
  const started = new Date().toISOString();
  const load0 = loadavg().map((n) => n.toFixed(2)).join(' ');
  try {
    // 1) ramp the call rate; each step runs stepSeconds, calls held 1 s
    if (steps.has('ramp')) {
    let best = 0;
    const ramp: string[] = [];
    for (const rate of rates) {
      const calls = rate * stepSeconds;
      const cpu0 = cpuMs(engine.child.pid);
      const t0 = Date.now();
      const r = await sipp(sipPort, ['-r', String(rate), '-m', String(calls), '-d', '1000', '-timeout', `${stepSeconds + 30}s`, '-l', String(rate * 4)]);
      const ok = stat(r.output, 'Successful call');
      const failed = stat(r.output, 'Failed call');
      const perCall = (cpuMs(engine.child.pid) - cpu0) / calls;
      // sipp's own clock (Start/Current Time) leaves out its start-up; fall back to ours
      const sippStart = /Start Time\s*\|[^|]*?(\d+\.\d+)\s*$/m.exec(r.output);
      const sippNow = /Current Time\s*\|[^|]*?(\d+\.\d+)\s*$/m.exec(r.output);
      const elapsedS = sippStart && sippNow ? Number(sippNow[1]) - Number(sippStart[1]) : (Date.now() - t0) / 1000;
      const achieved = calls / Math.max(0.001, elapsedS - 1.0); // minus the 1 s hold of the last calls
      ramp.push(`| ${rate} | ${achieved.toFixed(0)} | ${calls} | ${ok} | ${failed} | ${perCall.toFixed(3)} | ${r.code === 0 ? 'pass' : 'FAIL'} |`);
      console.log(`rate ${rate}/s (achieved ${achieved.toFixed(0)}/s): ${ok} ok, ${failed} failed (sipp exit ${r.code}), engine ${perCall.toFixed(3)} ms CPU per call, app dialogs open ${app.active()}`);
      if (process.env.BENCH_DEBUG) console.log('sipp dir', r.dir);
      else rmSync(r.dir, { recursive: true, force: true });
      if (r.code !== 0 || failed > 0) break;
      // a rate counts only when the whole system kept up with it (sipp falls behind silently otherwise)
      if (achieved < rate * 0.95) {
        ramp[ramp.length - 1] = ramp[ramp.length - 1].replace('| pass |', '| not sustained |');
        break;
      }
      best = rate;
      await new Promise((res) => setTimeout(res, 1500));
    }
    results.push(`## Highest call rate with 0 failed calls: **${best} calls/s**`, '', `Each step: ${stepSeconds} s of calls at the target rate, each call held 1 s, then BYE. A step counts when no call failed and the achieved rate (calls / (sipp elapsed time - 1 s hold)) was at least 95% of the target; sipp, the srf app and the engine share the 2 cores.`, '',
      '| target calls/s | achieved calls/s | calls | successful | failed | engine CPU ms/call | result |', '|---|---|---|---|---|---|---|', ...ramp, '');
    }

    // 2) concurrent dialogs: hold calls for holdMs, limit concurrency to the target
    if (steps.has('concurrent')) {
    const cRate = 500;
    for (let i = 0; i < 20 && app.active() > 0; i++) await new Promise((res) => setTimeout(res, 500));
    console.log(`dialogs still open in the app before the concurrency step: ${app.active()}`);
    if (process.env.BENCH_DEBUG) {
      engine.child.kill('SIGUSR2');
      await new Promise((res) => setTimeout(res, 300));
      console.log(engine.output().split('\n').filter((l) => l.includes('engine stats')).join('\n'));
      console.log('srf dialogs', (app.srf as unknown as { _dialogs: Map<string, unknown> })._dialogs.size);
    }
    app.resetPeak();
    const c = await sipp(sipPort, ['-r', String(cRate), '-m', String(concurrentTarget), '-l', String(concurrentTarget), '-d', String(holdMs), '-timeout', `${Math.ceil(holdMs / 1000) + 60}s`]);
    const cOk = stat(c.output, 'Successful call');
    const cFail = stat(c.output, 'Failed call');
    console.log(`concurrency: peak ${app.peak()} dialogs, ${cOk} ok, ${cFail} failed`);
    rmSync(c.dir, { recursive: true, force: true });
    results.push(`## Concurrent dialogs held: **${app.peak()}** (target ${concurrentTarget})`, '',
      `${concurrentTarget} calls at ${cRate}/s, each held ${holdMs} ms: ${cOk} successful, ${cFail} failed (sipp exit ${c.code}). Peak = confirmed dialogs open at once in the srf app.`, '');
    }

    // 3) INVITE -> 200 latency at 100 calls/s (sipp -trace_rtt: one line per call); three runs because
    //    the 2 cores are shared with other work and one scheduling hiccup moves a p99 of 1000 samples
    if (steps.has('latency')) {
      const runs: { p50: number; p99: number; max: number; n: number; code: number | null; load: string }[] = [];
      for (let i = 0; i < 3; i++) {
        const load = loadavg()[0].toFixed(2);
        const l = await sipp(sipPort, ['-r', '100', '-m', '1000', '-d', '1000', '-trace_rtt', '-rtt_freq', '1', '-timeout', '60s']);
        const rttFile = readdirSync(l.dir).find((f) => f.endsWith('_rtt.csv'));
        const samples = rttFile
          ? readFileSync(join(l.dir, rttFile), 'utf8').split('\n').slice(1).map((line) => Number(line.split(';')[1])).filter((n) => Number.isFinite(n))
          : [];
        samples.sort((a, b) => a - b);
        const run = { p50: percentile(samples, 50), p99: percentile(samples, 99), max: samples.at(-1) ?? NaN, n: samples.length, code: l.code, load };
        runs.push(run);
        console.log(`latency at 100 cps (run ${i + 1}): p50 ${run.p50} ms, p99 ${run.p99} ms, max ${run.max} ms over ${run.n} calls, load ${load}`);
        rmSync(l.dir, { recursive: true, force: true });
      }
      const median = [...runs].sort((a, b) => a.p99 - b.p99)[1];
      results.push(`## INVITE -> 200 OK at 100 calls/s: **p99 ${median.p99.toFixed(0)} ms** (median of 3 runs of 1000 calls)`, '',
        '| run | p50 ms | p99 ms | max ms | calls | sipp exit | 1-min load average at start |', '|---|---|---|---|---|---|---|',
        ...runs.map((r, i) => `| ${i + 1} | ${r.p50} | ${r.p99} | ${r.max} | ${r.n} | ${r.code} | ${r.load} |`), '',
        'sipp -trace_rtt reports whole milliseconds (0 = under 1 ms), measured from sending the INVITE to receiving the 200 OK.', '');
    }
  } finally {
    app.srf.disconnect();
    await engine.stop('SIGTERM', 5000);
  }
  const doc = [
    '# SIP engine benchmark', '',
    `Measured ${started} on this machine (${cpus().length} cores, Node ${process.version}, sipp 3.6.1), all on loopback over UDP.`,
    `Load average when the run started: ${load0} (other engineers' test runs share these 2 cores, so latency figures are noisy; engine CPU per call is the load-independent figure).`, '',
    'Command: `npm run bench:sip` (bench/sip.ts). The engine runs in its own process (`src/sip/engine/main.ts`), the',
    'srf UAS app (drachtio-srf `createUAS`, 200 OK with SDP) in the bench process, sipp (test/sipp/bench-uac.xml) as the caller.', '',
    'Goals: 300 calls/s, 5000 concurrent dialogs, p99 < 50 ms at 100 calls/s.', '',
    ...results,
    '## Profile', '',
    '`BENCH_PROFILE=1 BENCH_STEPS=ramp BENCH_RATES=300 npm run bench:sip` runs the engine with `node --cpu-prof` (profiles in',
    'var/profiles/). At 300 calls/s the engine process was ~60% idle; the largest self-time entries were the UDP send',
    'syscall (dgram doSend, ~9%) and control-socket writes (~6%), JS parsing/completion well under 1% each. Fix applied:',
    'control frames written in the same tick are corked into one socket write. Engine CPU per call above falls from ~2 ms',
    'at 100 calls/s (per-wakeup overhead) to ~0.4 ms at 1000 calls/s (batching), most of it kernel time for loopback I/O.', '',
  ].join('\n');
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  writeFileSync(join(ROOT, 'docs/benchmarks-sip.md'), doc + '\n');
  console.log(doc);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
