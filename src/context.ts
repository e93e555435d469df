import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Keys } from './redis.js';
import type { AuditLog } from './audit/audit-log.js';
import type { UserStore } from './auth/users.js';
import type { TokenSigner } from './auth/tokens.js';

/** A dependency probed by /readyz. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Shared services handed to every API plugin; domain modules receive only what they need. */
export interface AppContext {
  config: Config;
  log: Logger;
  redis: Redis;
  keys: Keys;
  audit: AuditLog;
  users: UserStore;
  tokens: TokenSigner;
  readiness: ReadinessCheck[];
}
