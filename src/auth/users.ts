import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { roleSchema, type Principal } from './roles.js';
import type { Keys } from '../redis.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

export const userInputSchema = z.object({
  username: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/),
  password: z.string().min(8).max(200),
  role: roleSchema,
  agentId: z.string().min(1).max(64).optional(),
});
export type UserInput = z.infer<typeof userInputSchema>;

/** API users with scrypt password hashes, one Redis hash per user. */
export class UserStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async upsert(u: UserInput): Promise<void> {
    const salt = randomBytes(16);
    const hash = await scrypt(u.password, salt, 32);
    await this.redis.hset(this.keys.k('user', u.username), {
      role: u.role,
      agentId: u.agentId ?? '',
      salt: salt.toString('hex'),
      hash: hash.toString('hex'),
    });
    await this.redis.sadd(this.keys.k('users'), u.username);
  }

  async verify(username: string, password: string): Promise<Principal | null> {
    const h = await this.redis.hgetall(this.keys.k('user', username));
    if (!h.hash) return null;
    const got = await scrypt(password, Buffer.from(h.salt, 'hex'), 32);
    if (!timingSafeEqual(got, Buffer.from(h.hash, 'hex'))) return null;
    const role = roleSchema.parse(h.role);
    return { sub: username, role, ...(h.agentId ? { agentId: h.agentId } : {}) };
  }

  async list(): Promise<{ username: string; role: string; agentId?: string }[]> {
    const names = await this.redis.smembers(this.keys.k('users'));
    const out = [];
    for (const username of names.sort()) {
      const h = await this.redis.hgetall(this.keys.k('user', username));
      out.push({ username, role: h.role, ...(h.agentId ? { agentId: h.agentId } : {}) });
    }
    return out;
  }
}
