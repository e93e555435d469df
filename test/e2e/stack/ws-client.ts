import { WebSocket } from 'ws';

export interface Frame { type: string; topic?: string; queueId?: string; event?: Record<string, unknown> & { type: string }; stats?: Record<string, number>; [k: string]: unknown }

/** A client of the service's /ws for e2e tests: records every frame, waits for matching ones. */
export class WsClient {
  readonly frames: Frame[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(String(d)) as Frame));
  }
  static async open(base: string, token: string): Promise<WsClient> {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`);
    const c = new WsClient(ws);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    return c;
  }
  send(msg: unknown): void { this.ws.send(JSON.stringify(msg)); }
  /** Position to pass as `from`, so a wait only sees frames that arrive after this point. */
  mark(): number { return this.frames.length; }
  async waitFor(pred: (f: Frame) => boolean, timeoutMs = 10_000, what = 'frame', from = 0): Promise<Frame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.slice(from).find(pred);
      if (f) return f;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-8))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  agentEvents(): string[] { return this.frames.filter((f) => f.type === 'event' && f.topic?.startsWith('agent:')).map((f) => f.event!.type); }
  stats(queueId: string): Record<string, number>[] { return this.frames.filter((f) => f.type === 'stats' && f.queueId === queueId).map((f) => f.stats!); }
  close(): void { this.ws.close(); }
}

