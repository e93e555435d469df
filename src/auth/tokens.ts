import { createHmac, timingSafeEqual } from 'node:crypto';
import { roleSchema, type Principal } from './roles.js';
import { z } from 'zod';

const payloadSchema = z.object({
  sub: z.string(),
  role: roleSchema,
  agentId: z.string().optional(),
  exp: z.number(),
});

/** Stateless HMAC-SHA256 bearer tokens: `<base64url payload>.<base64url mac>`. */
export class TokenSigner {
  constructor(private readonly secret: string, private readonly ttlSeconds: number) {}

  sign(p: Principal, now = Date.now()): string {
    const body = Buffer.from(JSON.stringify({ ...p, exp: Math.floor(now / 1000) + this.ttlSeconds })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  verify(token: string, now = Date.now()): Principal | null {
    const [body, mac] = token.split('.');
    if (!body || !mac) return null;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const r = payloadSchema.safeParse(parsed);
    if (!r.success || r.data.exp * 1000 < now) return null;
    const { exp: _exp, ...principal } = r.data;
    return principal;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
