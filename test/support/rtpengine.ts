import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freeUdpRange } from './ports.js';
import { run, type Proc } from './proc.js';

export interface RtpengineInstance {
  ngPort: number;
  dtmfPort: number;
  spoolDir: string;
  proc: Proc;
  stop(): Promise<void>;
}

/** A private userspace rtpengine on loopback with its own ports and spool (flags per docs/telephony-lab notes). */
export async function startRtpengine(opts: { ports?: number } = {}): Promise<RtpengineInstance> {
  const ngPort = await freePort();
  const dtmfPort = await freePort();
  const range = await freeUdpRange(opts.ports ?? 200);
  const spoolDir = mkdtempSync(join(tmpdir(), 'rtpe-'));
  mkdirSync(join(spoolDir, 'spool'), { recursive: true });
  const proc = run('rtpengine', [
    '--config-file=none', '--table=-1', '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`, '--foreground', '--log-stderr', '--log-level=6',
    `--port-min=${range.min}`, `--port-max=${range.max}`,
    `--recording-dir=${join(spoolDir, 'spool')}`, '--recording-method=pcap',
    `--dtmf-log-dest=127.0.0.1:${dtmfPort}`, `--pidfile=${join(spoolDir, 'rtpengine.pid')}`,
  ]);
  await proc.waitFor(/Startup complete|listening|version/i, 10_000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 400));
  if (proc.child.exitCode !== null) throw new Error(`rtpengine exited: ${proc.output()}`);
  return { ngPort, dtmfPort, spoolDir: join(spoolDir, 'spool'), proc, stop: () => proc.stop('SIGTERM', 3000) };
}
