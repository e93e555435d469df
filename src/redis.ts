import { Redis } from 'ioredis';
import type { Config } from './config.js';

/** One client per concern (commands, pub/sub subscriber, BullMQ) because a subscriber cannot run commands. */
export function createRedis(cfg: Pick<Config, 'REDIS_URL'>, opts: { forBullmq?: boolean } = {}): Redis {
  return new Redis(cfg.REDIS_URL, {
    lazyConnect: false,
    maxRetriesPerRequest: opts.forBullmq ? null : 3,
    enableOfflineQueue: true,
  });
}

/** Keys are namespaced so several deployments (and parallel test runs) can share one Redis. */
export class Keys {
  constructor(readonly prefix: string) {}
  k(...parts: (string | number)[]): string {
    return this.prefix + parts.join(':');
  }
}
