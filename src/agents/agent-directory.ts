import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import type { RegistrationSink } from '../sip/ports.js';

/**
 * Where each agent's softphone is registered. One sorted set per agent: member = contact URI,
 * score = expiry (ms). Expired bindings are dropped on read and the key itself expires with the last binding,
 * so a phone that stops re-registering disappears without a sweeper. Implements the registrar's RegistrationSink.
 */
export class AgentDirectory implements RegistrationSink {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly now: () => number = Date.now) {}

  private key(agentId: string): string { return this.keys.k('reg', agentId); }

  async setRegistration(agentId: string, contactUri: string, expiresSec: number): Promise<void> {
    const k = this.key(agentId);
    if (contactUri === '*' || expiresSec <= 0) {
      if (contactUri === '*') await this.redis.del(k);
      else await this.redis.zrem(k, contactUri);
      return;
    }
    const until = this.now() + expiresSec * 1000;
    const m = this.redis.multi();
    m.zadd(k, until, contactUri);
    m.zremrangebyscore(k, '-inf', this.now());
    await m.exec();
    // the key lives as long as its longest binding
    const last = await this.redis.zrange(k, -1, -1, 'WITHSCORES');
    // relative TTL: the service clock and the Redis clock need not agree
    if (last.length === 2) await this.redis.pexpire(k, Math.max(1, Math.ceil(Number(last[1]) - this.now())));
  }

  async clearRegistrations(agentId: string): Promise<void> {
    await this.redis.del(this.key(agentId));
  }

  /** The freshest live contact (latest expiry), or null when the agent's phone is not registered. */
  async contactFor(agentId: string): Promise<string | null> {
    const live = await this.contactsFor(agentId);
    return live[0]?.uri ?? null;
  }

  async contactsFor(agentId: string): Promise<{ uri: string; expiresAt: number }[]> {
    const rows = await this.redis.zrangebyscore(this.key(agentId), this.now(), '+inf', 'WITHSCORES');
    const out: { uri: string; expiresAt: number }[] = [];
    for (let i = 0; i < rows.length; i += 2) out.push({ uri: rows[i], expiresAt: Number(rows[i + 1]) });
    return out.sort((a, b) => b.expiresAt - a.expiresAt);
  }
}

/** The function the SIP registrar calls (bound to a directory), per the ACD brief. */
export function registrationSetter(dir: AgentDirectory): (agentId: string, contactUri: string, expiresSec: number) => Promise<void> {
  return (agentId, contactUri, expiresSec) => dir.setRegistration(agentId, contactUri, expiresSec);
}
