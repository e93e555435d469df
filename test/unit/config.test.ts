import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config.js';

describe('config', () => {
  it('has loopback defaults', () => {
    const c = loadConfig({});
    expect(c.HTTP_HOST).toBe('127.0.0.1');
    expect(c.DRACHTIO_PORT).toBe(9022);
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.SIP_ENGINE_EMBEDDED).toBe(true);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
    expect(() => loadConfig({ SIP_ENGINE_EMBEDDED: 'maybe' })).toThrow(/SIP_ENGINE_EMBEDDED/);
    expect(() => loadConfig({ REDIS_URL: 'not a url' })).toThrow(ConfigError);
  });

  it('refuses default secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/AUTH_SECRET: must be set in production/);
    const ok = loadConfig({
      NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(32), ADMIN_PASSWORD: 'long-enough-pw', DRACHTIO_SECRET: 'prod-secret',
    });
    expect(ok.NODE_ENV).toBe('production');
  });
});
