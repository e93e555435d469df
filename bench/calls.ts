/**
 * `npx tsx bench/calls.ts`: call-control throughput and answer latency with media anchored in rtpengine.
 *
 * Topology (all loopback, one process except sipp and rtpengine): sipp UAC (built-in `uac`, PCMU offer,
 * 200 -> ACK, hold, BYE) -> embedded SIP engine -> drachtio-srf -> inbound router -> SipCall.answer
 * (rtpengine offer+answer) -> a DID handler that waits for the caller's BYE -> rtpengine delete.
 * So every call costs: INVITE/200/ACK/BYE through the engine + 2 rtpengine commands at answer + 1 at hangup.
 * Writes docs/benchmarks-calls.md.
 *
 * Env: BENCH_RATES=20,50,100,150,200 (calls/s per step), BENCH_STEP_S=6, BENCH_HOLD_MS=1000.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { startEngine } from '../src/sip/engine/engine.js';
import { startCallControl } from '../src/calls/call-control.js';
import { RtpengineClient } from '../src/media/rtpengine-client.js';
import { DtmfListener } from '../src/media/dtmf-listener.js';
import { RtpCallMediaFactory } from '../src/media/rtp-call-media.js';
import { startRtpengine } from '../test/support/rtpengine.js';
import { freePort } from '../test/support/ports.js';
import { run } from '../test/support/proc.js';

const ROOT = resolve(import.meta.dirname, '..');
const rates = (process.env.BENCH_RATES ?? '20,50,100,150,200').split(',').map(Number);
const stepSeconds = Number(process.env.BENCH_STEP_S ?? 6);
const holdMs = Number(process.env.BENCH_HOLD_MS ?? 1000);

interface Step {
  rate: number;
  calls: number;
  ok: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
  cpuMsPerCall: number;
  leftInRtpengine: number;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

async function main(): Promise<void> {
  const log = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const rtpe = await startRtpengine({ ports: 2000 });
  const client = new RtpengineClient({ host: '127.0.0.1', port: rtpe.ngPort, timeoutMs: 5000 });
  const dtmf = new DtmfListener({ port: rtpe.dtmfPort, log });
  await dtmf.start();
  const secret = 'bench-calls';
  const engine = await startEngine({ controlHost: '127.0.0.1', controlPort: await freePort(), secret, sipHost: '127.0.0.1', sipPort: await freePort(), log });
  const calls = await startCallControl({
    log,
    drachtio: { host: '127.0.0.1', port: engine.controlPort, secret },
    media: new RtpCallMediaFactory({ client, dtmf, log }),
    registrar: { realm: '127.0.0.1', nonceSecret: 'x', credentials: { lookup: () => null }, sink: { setRegistration: () => undefined } },
    didRouter: { handlerFor: () => (call) => new Promise<void>((r) => call.once('hangup', () => r())) },
    outbound: { trunkUriTemplate: 'sip:{number}@127.0.0.1:9', allowedPrefixes: [] },
  });
  const steps: Step[] = [];
  try {
    for (const rate of rates) {
      const n = rate * stepSeconds;
      const dir = mkdtempSync(join(tmpdir(), 'bench-calls-'));
      const port = await freePort();
      const cpu0 = process.cpuUsage();
      const sipp = run('sipp', ['-sn', 'uac', `127.0.0.1:${engine.sipPort}`, '-s', '100', '-i', '127.0.0.1', '-p', String(port), '-r', String(rate), '-m', String(n), '-d', String(holdMs), '-nostdin', '-timeout', `${stepSeconds + 30}s`, '-trace_rtt', '-rtt_freq', '1', '-trace_stat', '-fd', '1'], { cwd: dir });
      await sipp.exited;
      const cpu = process.cpuUsage(cpu0);
      const stat = readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('_.csv'))!), 'utf8').trim().split('\n');
      const head = stat[0].split(';');
      const last = stat[stat.length - 1].split(';');
      const col = (name: string) => Number(last[head.indexOf(name)]);
      const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
      const rtts = rttFile
        ? readFileSync(join(dir, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[1])).filter(Number.isFinite).sort((a, b) => a - b)
        : [];
      await new Promise((r) => setTimeout(r, 1000));
      const left = (await client.list()).length;
      steps.push({
        rate,
        calls: n,
        ok: col('SuccessfulCall(C)'),
        failed: col('FailedCall(C)'),
        p50: pct(rtts, 50),
        p95: pct(rtts, 95),
        p99: pct(rtts, 99),
        cpuMsPerCall: (cpu.user + cpu.system) / 1000 / n,
        leftInRtpengine: left,
      });
      console.log(JSON.stringify(steps[steps.length - 1]));
      if (col('FailedCall(C)') > 0) break;
    }
  } finally {
    await calls.stop();
    await engine.stop();
    await dtmf.stop();
    client.close();
    await rtpe.stop();
  }
  const best = steps.filter((s) => s.failed === 0).map((s) => s.rate).pop();
  const md = [
    '# Call-control benchmark (SIP + rtpengine anchoring)',
    '',
    `Measured ${new Date().toISOString()} on this machine (${cpus().length} cores, Node ${process.version}, sipp 3.6.1, rtpengine 10.5 userspace), loopback UDP.`,
    `Load average when the run started: ${load} (other engineers' tests share the cores: latency is noisy; CPU ms/call is the steadier figure).`,
    '',
    'Command: `npx tsx bench/calls.ts` (env BENCH_RATES, BENCH_STEP_S, BENCH_HOLD_MS). Engine, srf app and call control',
    'run in the bench process (CPU ms/call below is all three together); sipp (`-sn uac`) and rtpengine are separate processes.',
    `Each call: INVITE with PCMU offer -> inbound router -> rtpengine offer+answer -> 200 -> ACK -> ${holdMs} ms -> BYE -> rtpengine delete.`,
    '',
    `## Highest call rate with 0 failed calls: **${best ?? 'none'} calls/s**`,
    '',
    `Each step: ${stepSeconds} s of calls at the rate. Latency = sipp response time INVITE -> 200 OK (ms, includes rtpengine anchoring).`,
    '',
    '| calls/s | calls | successful | failed | p50 ms | p95 ms | p99 ms | app CPU ms/call | rtpengine sessions left |',
    '|---|---|---|---|---|---|---|---|---|',
    ...steps.map((s) => `| ${s.rate} | ${s.calls} | ${s.ok} | ${s.failed} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.cpuMsPerCall.toFixed(2)} | ${s.leftInRtpengine} |`),
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'docs/benchmarks-calls.md'), md);
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
