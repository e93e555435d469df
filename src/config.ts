import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);

/** Every setting the service reads from the environment. The single source for README's table. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().default('cti:'),
  DRACHTIO_HOST: z.string().min(1).default('127.0.0.1'),
  DRACHTIO_PORT: port.default(9022),
  DRACHTIO_SECRET: z.string().min(1).default('cymru'),
  SIP_ENGINE_EMBEDDED: bool.default(true),
  SIP_HOST: z.string().min(1).default('127.0.0.1'),
  SIP_PORT: port.default(5060),
  SIP_DOMAIN: z.string().min(1).default('127.0.0.1'),
  RTPENGINE_HOST: z.string().min(1).default('127.0.0.1'),
  RTPENGINE_PORT: port.default(22222),
  RTPENGINE_DTMF_PORT: port.default(22223),
  RTPENGINE_SPOOL_DIR: z.string().min(1).default('var/spool'),
  RECORDINGS_DIR: z.string().min(1).default('var/recordings'),
  PROMPTS_DIR: z.string().min(1).default('var/prompts'),
  AUTH_SECRET: z.string().min(16).default('dev-only-secret-change-me'),
  ADMIN_USER: z.string().min(1).default('admin'),
  ADMIN_PASSWORD: z.string().min(8).default('admin-password'),
  TOKEN_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  /** Outbound trunk: `{number}` is replaced by the E.164 destination. */
  TRUNK_URI_TEMPLATE: z.string().includes('{number}').default('sip:{number}@127.0.0.1:5080'),
  /** Comma-separated destination prefixes any outbound call must match (campaigns narrow it further). */
  TRUNK_ALLOWED_PREFIXES: z.string().default('+86,+1,+44').transform((v) => v.split(',').map((p) => p.trim()).filter(Boolean)),
  DEFAULT_COUNTRY: z.string().length(2).default('CN'),
  DEFAULT_TIMEZONE: z.string().min(1).default('Asia/Shanghai'),
  RECORDING_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
  SCHEDULER_PREFIX: z.string().min(1).default('cti-bull'),
  IVR_MAX_STEPS: z.coerce.number().int().positive().default(500),
  /** Caller ID of scheduled callbacks (to the customer). */
  CALLBACK_CALLER_ID: z.string().regex(/^\+\d{6,15}$/).default('+861000000000'),
  /** ACD queue for callbacks that name none (queued for any agent when the owner is not free). */
  CALLBACK_QUEUE_ID: z.string().min(1).max(64).default('callbacks'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Parses the environment; a bad value names its variable so start-up fails with a useful message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) picked[key] = env[key] === '' ? undefined : env[key];
  const result = configSchema.safeParse(picked);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(picked[String(i.path[0])])})`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg = result.data;
  if (cfg.NODE_ENV === 'production') {
    const weak = (['AUTH_SECRET', 'ADMIN_PASSWORD', 'DRACHTIO_SECRET'] as const).filter(
      (k) => cfg[k] === configSchema.shape[k].parse(undefined),
    );
    if (weak.length) throw new ConfigError(`invalid configuration:\n${weak.map((k) => `  ${k}: must be set in production`).join('\n')}`);
  }
  return cfg;
}
