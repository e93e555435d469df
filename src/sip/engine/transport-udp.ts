import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Endpoint } from './message.js';

export interface UdpTransportOptions {
  host: string;
  port: number;
  log: Logger;
  /** Every datagram, unparsed (the stack parses so errors are handled in one place). */
  onDatagram: (buf: Buffer, source: Endpoint) => void;
}

/** One UDP socket for sending and receiving (so responses leave from the port in our Via). */
export class UdpTransport {
  private socket: Socket | undefined;

  constructor(private readonly opts: UdpTransportOptions) {}

  get port(): number {
    return this.socket ? this.socket.address().port : this.opts.port;
  }

  async start(): Promise<void> {
    const s = createSocket({ type: isIPv6(this.opts.host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.opts.port, this.opts.host, () => {
        s.off('error', reject);
        resolve();
      });
    });
    try {
      // bursts of 300 calls/s: a larger kernel buffer avoids drops (capped by net.core.rmem_max)
      s.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      /* not permitted: keep the default */
    }
    s.on('error', (err) => this.opts.log.warn({ err: err.message }, 'udp socket error'));
    s.on('message', (buf, rinfo) => {
      this.opts.onDatagram(buf, { transport: 'udp', address: rinfo.address, port: rinfo.port });
    });
    this.socket = s;
  }

  send(buf: Buffer, address: string, port: number, onError?: (err: Error) => void): void {
    const s = this.socket;
    if (!s) {
      onError?.(new Error('udp transport not started'));
      return;
    }
    try {
      s.send(buf, port, address, (err) => {
        if (err) {
          this.opts.log.debug({ err: err.message, address, port }, 'udp send failed');
          onError?.(err);
        }
      });
    } catch (err) {
      // socket closing, invalid port: report like an asynchronous failure
      onError?.(err as Error);
    }
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
