import { once } from 'node:events';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';

/** Topics: `agent:<agentId>`, `queue:<queueId>`, `campaign:<campaignId>`, `supervisor` (everything a wallboard wants). */
export interface BusEvent {
  type: string;
  at: string;
  [field: string]: unknown;
}

export type BusListener = (topic: string, event: BusEvent) => void;

/**
 * Cross-instance event fan-out over Redis pub/sub: any service instance publishes, every instance's
 * WebSocket gateway delivers to its own sockets. One subscriber connection per process (pattern subscribe).
 */
export class EventBus {
  private readonly listeners = new Set<BusListener>();
  private started = false;

  constructor(private readonly pub: Redis, private readonly sub: Redis, private readonly keys: Keys) {}

  async publish(topic: string, event: Omit<BusEvent, 'at'> & { at?: string }): Promise<void> {
    const full = { ...event, at: event.at ?? new Date().toISOString() };
    await this.pub.publish(this.keys.k('ev', topic), JSON.stringify(full));
  }

  async onEvent(listener: BusListener): Promise<() => void> {
    this.listeners.add(listener);
    if (!this.started) {
      this.started = true;
      const prefix = this.keys.k('ev', '');
      this.sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
        let ev: BusEvent;
        try {
          ev = JSON.parse(message) as BusEvent;
        } catch {
          return;
        }
        const topic = channel.slice(prefix.length);
        for (const l of this.listeners) l(topic, ev);
      });
      // ioredis writes PSUBSCRIBE before its INFO ready check while still connecting; the check then fails in
      // subscriber mode and the connection is torn down (events lost). Subscribe only once it is ready.
      if (this.sub.status !== 'ready') await once(this.sub, 'ready');
      await this.sub.psubscribe(`${prefix}*`);
    }
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.started) await this.sub.punsubscribe();
  }
}
