import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { run, type Proc } from './proc.js';

export interface SippRun {
  proc: Proc;
  port: number;
  mediaPort: number;
  /** Resolves with sipp's exit code (0: every call of the scenario passed). */
  done: Promise<number | null>;
}

/**
 * Runs one sipp scenario file on loopback with private SIP/media ports. `vars` replaces __NAME__
 * placeholders in the XML (copied to a temp dir). remote = host:port to call (UAC), omitted for a UAS.
 */
export async function runSipp(o: { scenario: string; remote?: string; service?: string; calls?: number; vars?: Record<string, string>; timeoutS?: number }): Promise<SippRun> {
  const port = await freePort();
  const mediaPort = await freePort();
  let xml = readFileSync(o.scenario, 'utf8');
  for (const [k, v] of Object.entries(o.vars ?? {})) xml = xml.replaceAll(`__${k}__`, v);
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const file = join(dir, 'scenario.xml');
  writeFileSync(file, xml);
  const args = ['-sf', file, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', String(o.calls ?? 1), '-nostdin', '-timeout', `${o.timeoutS ?? 40}s`, '-timeout_error', '-trace_err', '-error_file', join(dir, 'errors.log')];
  if (o.service) args.push('-s', o.service);
  if (o.remote) args.push(o.remote);
  const proc = run('sipp', args, { cwd: dir });
  return { proc, port, mediaPort, done: proc.exited };
}

/** True once some process has bound UDP 127.0.0.1:port (read from /proc: probing by binding would race sipp). */
function udpBound(port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === hex);
  } catch {
    return false;
  }
}

/** Waits until a UAS sipp listens on its SIP port (it takes a moment to start on a loaded machine). */
export async function sippListening(run: SippRun, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!udpBound(run.port)) {
    if (run.proc.child.exitCode !== null) throw new Error(`sipp exited before listening: ${run.proc.output().slice(-2000)}`);
    if (Date.now() > until) throw new Error(`sipp not listening on ${run.port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function sippErrors(run: SippRun): string {
  try {
    const dir = run.proc.child.spawnargs[run.proc.child.spawnargs.indexOf('-error_file') + 1];
    return readFileSync(dir, 'utf8').slice(-3000);
  } catch {
    return run.proc.output().slice(-3000);
  }
}
