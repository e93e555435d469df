import type { Redis } from 'ioredis';
import type { Keys } from '../redis.js';
import type { Principal } from '../auth/roles.js';

export interface AuditEntry {
  at: string;
  actor: string;
  role: string;
  action: string;
  target: string;
  detail?: Record<string, unknown>;
}

/** Append-only audit trail (Redis stream) for recording access, lead exports and admin changes. */
export class AuditLog {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async record(who: Principal, action: string, target: string, detail?: Record<string, unknown>): Promise<void> {
    await this.redis.xadd(
      this.keys.k('audit'),
      '*',
      'at', new Date().toISOString(),
      'actor', who.sub,
      'role', who.role,
      'action', action,
      'target', target,
      'detail', JSON.stringify(detail ?? {}),
    );
  }

  async list(opts: { count?: number; action?: string } = {}): Promise<AuditEntry[]> {
    const rows = await this.redis.xrevrange(this.keys.k('audit'), '+', '-', 'COUNT', opts.count ?? 100);
    const out: AuditEntry[] = [];
    for (const [, fields] of rows) {
      const m: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) m[fields[i]] = fields[i + 1];
      if (opts.action && m.action !== opts.action) continue;
      out.push({ at: m.at, actor: m.actor, role: m.role, action: m.action, target: m.target, detail: JSON.parse(m.detail || '{}') });
    }
    return out;
  }
}
