import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

export interface LeadLockHandle {
  leadId: string;
  holder: string;
  token: string;
}

/**
 * A lead is locked while it is dialed or in a call (SET NX PX; release/extend only by the holder's token),
 * so two agents or two dialer instances never get the same lead. The expiry frees leads of a crashed instance.
 */
export class LeadLock {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly ttlMs = 15 * 60_000) {}

  async acquire(leadId: string, holder: string, ttlMs = this.ttlMs): Promise<LeadLockHandle | null> {
    const token = `${holder}|${randomUUID()}`;
    const ok = await this.redis.set(this.keys.k('leadlock', leadId), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? { leadId, holder, token } : null;
  }

  async extend(h: LeadLockHandle, ttlMs = this.ttlMs): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, this.keys.k('leadlock', h.leadId), h.token, ttlMs)) === 1;
  }

  async release(h: LeadLockHandle): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 1, this.keys.k('leadlock', h.leadId), h.token)) === 1;
  }

  /** Who holds the lead (the holder part of the token), or null. */
  async holder(leadId: string): Promise<string | null> {
    const v = await this.redis.get(this.keys.k('leadlock', leadId));
    return v ? v.split('|')[0] : null;
  }
}
