import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { startEngine, type RunningEngine } from '../../src/sip/engine/engine.js';
import { freePort } from '../support/ports.js';
import { run, type Proc } from '../support/proc.js';
import { startConformanceApp, type ConformanceApp } from './app.js';

export const SIPP_DIR = resolve(import.meta.dirname, '../sipp');
export const SECRET = 'conformance-secret';

export interface Harness {
  engine: RunningEngine;
  app: ConformanceApp;
  stop(): Promise<void>;
}

/** Engine on a free SIP port + the srf app connected to its control port. */
export async function startHarness(opts: { ackTimeoutMs?: number } = {}): Promise<Harness> {
  const sipPort = await freePort();
  const engine = await startEngine({
    controlHost: '127.0.0.1',
    controlPort: 0,
    secret: SECRET,
    sipHost: '127.0.0.1',
    sipPort,
    log: pino({ level: process.env.ENGINE_LOG ?? 'silent' }),
    ackTimeoutMs: opts.ackTimeoutMs,
  });
  let app: ConformanceApp;
  try {
    app = await startConformanceApp({ host: '127.0.0.1', port: engine.controlPort, secret: SECRET });
  } catch (err) {
    await engine.stop();
    throw err;
  }
  return {
    engine,
    app,
    async stop() {
      app.close();
      await engine.stop();
    },
  };
}

export interface SippResult {
  code: number | null;
  output: string;
}

/** Runs a sipp UAC scenario against the engine and resolves with its exit code (0 = all calls passed). */
export async function sippUac(h: Harness, scenario: string, opts: { service?: string; calls?: number; rate?: number; extra?: string[] } = {}): Promise<SippResult> {
  const port = await freePort();
  const p = run('sipp', [
    `127.0.0.1:${h.engine.sipPort}`, '-sf', resolve(SIPP_DIR, scenario), '-i', '127.0.0.1', '-p', String(port),
    '-s', opts.service ?? 'answer', '-m', String(opts.calls ?? 1), '-r', String(opts.rate ?? 10),
    '-nostdin', '-timeout', '25s', '-timeout_error', ...(opts.extra ?? []),
  ]);
  const code = await p.exited;
  return { code, output: p.output() };
}

/** Starts a sipp UAS scenario on a free port; `done` resolves with its exit code. */
export async function sippUas(scenario: string, opts: { transport?: 'udp' | 'tcp'; calls?: number; extra?: string[] } = {}): Promise<{ port: number; proc: Proc; done: Promise<SippResult> }> {
  const port = await freePort();
  const proc = run('sipp', [
    '-sf', resolve(SIPP_DIR, scenario), '-i', '127.0.0.1', '-p', String(port), '-t', opts.transport === 'tcp' ? 't1' : 'u1',
    '-m', String(opts.calls ?? 1), '-nostdin', '-timeout', '25s', '-timeout_error', ...(opts.extra ?? []),
  ]);
  await waitListening(port, opts.transport ?? 'udp', proc);
  return { port, proc, done: proc.exited.then((code) => ({ code, output: proc.output() })) };
}

/** Polls `ss` until something listens on the port (sipp needs a moment to start, longer on a loaded machine). */
async function waitListening(port: number, transport: 'udp' | 'tcp', proc: Proc): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const out = await new Promise<string>((resolve) => {
      execFile('ss', [transport === 'udp' ? '-Hlnu' : '-Hlnt', `sport = :${port}`], (err, stdout) => resolve(err ? '' : stdout));
    });
    if (out.trim()) return;
    if (proc.child.exitCode !== null) throw new Error(`sipp exited before listening:\n${tail(proc.output())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sipp did not listen on ${transport} port ${port}`);
}

export function tail(s: string, n = 3000): string {
  return s.length > n ? s.slice(-n) : s;
}
