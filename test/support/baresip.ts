import { EventEmitter } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freeUdpRange } from './ports.js';
import { run, type Proc } from './proc.js';

/** A baresip event as sent over ctrl_tcp (type e.g. REGISTER_OK, CALL_ESTABLISHED, CALL_DTMF_START, CALL_CLOSED). */
export interface BaresipEvent {
  event: true;
  type: string;
  class?: string;
  param?: string;
  peeruri?: string;
  id?: string;
  [k: string]: unknown;
}

export interface BaresipOptions {
  /** SIP user and password of the account; the AOR's domain is the registrar. */
  user: string;
  password: string;
  /** host:port of the registrar / SIP server, e.g. 127.0.0.1:5060. */
  server: string;
  /** 8 kHz mono WAV it sends as microphone audio. */
  audioFile: string;
  /** auto (default) answers incoming calls at once. */
  answerMode?: 'auto' | 'manual';
  /** Register on start (default true); regint in seconds. */
  register?: boolean;
  regint?: number;
}

export interface Baresip {
  sipPort: number;
  ctrlPort: number;
  dir: string;
  proc: Proc;
  events: BaresipEvent[];
  command(command: string, params?: string): Promise<{ ok: boolean; data: string }>;
  waitEvent(type: string, timeoutMs?: number, pred?: (e: BaresipEvent) => boolean): Promise<BaresipEvent>;
  /** WAV files written by the sndfile module (dump-<call>-enc.wav = what it sent, -dec.wav = what it heard). */
  dumps(): string[];
  stop(): Promise<void>;
}

/** A real softphone (baresip 1.0) with a private config dir, controlled by netstring JSON over ctrl_tcp. */
export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  const sipPort = await freePortPair();
  const ctrlPort = await freePort();
  const rtp = await freeUdpRange(20);
  const register = o.register ?? true;
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      `rtp_ports ${rtp.min}-${rtp.max}`,
      `audio_source aufile,${o.audioFile}`,
      'audio_player aubridge,nil',
      'audio_alert aubridge,nil',
      'ausrc_srate 8000',
      'auplay_srate 8000',
      'ausrc_channels 1',
      'auplay_channels 1',
      `snd_path ${dir}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module aubridge.so',
      'module sndfile.so',
      'module_app account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      '',
    ].join('\n'),
  );
  const acct = `<sip:${o.user}@${o.server}>;auth_pass=${o.password};regint=${register ? (o.regint ?? 300) : 0};answermode=${o.answerMode ?? 'auto'};audio_codecs=PCMU`;
  writeFileSync(join(dir, 'accounts'), `${acct}\n`);
  writeFileSync(join(dir, 'contacts'), '');
  const proc = run('baresip', ['-f', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  await proc.waitFor(/ctrl_tcp|baresip is ready/i, 10_000).catch(() => undefined);

  const events: BaresipEvent[] = [];
  const bus = new EventEmitter();
  const pending = new Map<string, (r: { ok: boolean; data: string }) => void>();
  let socket: Socket | undefined;
  for (let i = 0; i < 50 && !socket; i++) {
    socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(ctrlPort, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (!socket) await new Promise((r) => setTimeout(r, 100));
  }
  if (!socket) throw new Error(`baresip ctrl_tcp not reachable; output:\n${proc.output()}`);
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const colon = buf.indexOf(':');
      if (colon < 0) return;
      const len = Number(buf.subarray(0, colon).toString());
      if (buf.length < colon + 1 + len + 1) return;
      const json = buf.subarray(colon + 1, colon + 1 + len).toString();
      buf = buf.subarray(colon + 1 + len + 1); // trailing ','
      const msg = JSON.parse(json) as Record<string, unknown>;
      if (msg.event) {
        events.push(msg as BaresipEvent);
        bus.emit('event', msg);
      } else if (msg.response && typeof msg.token === 'string') {
        pending.get(msg.token)?.({ ok: Boolean(msg.ok), data: String(msg.data ?? '') });
        pending.delete(msg.token);
      }
    }
  });
  socket.on('error', () => undefined);
  let tokenN = 0;
  const sock = socket;

  const b: Baresip = {
    sipPort,
    ctrlPort,
    dir,
    proc,
    events,
    command(command, params = '') {
      const token = `t${++tokenN}`;
      const json = JSON.stringify({ command, params, token });
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`baresip ${command} timed out`)), 5000);
        pending.set(token, (r) => (clearTimeout(t), resolve(r)));
        sock.write(`${Buffer.byteLength(json)}:${json},`);
      });
    },
    waitEvent(type, timeoutMs = 10_000, pred = () => true) {
      const found = events.find((e) => e.type === type && pred(e));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const on = (e: BaresipEvent) => {
          if (e.type === type && pred(e)) {
            clearTimeout(t);
            bus.off('event', on);
            resolve(e);
          }
        };
        const t = setTimeout(() => {
          bus.off('event', on);
          reject(new Error(`baresip: no ${type} within ${timeoutMs} ms; events: ${events.map((e) => e.type).join(',')}\n${proc.output().slice(-2000)}`));
        }, timeoutMs);
        bus.on('event', on);
      });
    },
    dumps: () => readdirSync(dir).filter((f) => f.startsWith('dump-')).map((f) => join(dir, f)),
    async stop() {
      sock.destroy();
      // quit via stdin ('q') lets it flush sndfile dumps; SIGTERM after a grace period
      try {
        proc.child.stdin?.write('q');
      } catch {
        /* already gone */
      }
      const quit = await Promise.race([proc.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 1500))]);
      if (!quit) await proc.stop('SIGTERM', 2000);
    },
  };
  return b;
}

/** baresip also opens SIP/TLS on sip_listen port + 1 (no way to turn it off in 1.0): both must be free. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    const nextFree = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(p + 1, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (nextFree) return p;
  }
  throw new Error('no free loopback port pair for baresip');
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
