import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/config.js';

interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  command?: string | string[];
  environment?: Record<string, string>;
  network_mode?: string;
}

/** No Docker engine here: the production compose file is checked structurally against the config schema. */
describe('docker-compose.yml', () => {
  const doc = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };
  const s = doc.services;

  it('has the four production services with the right images', () => {
    expect(Object.keys(s).sort()).toEqual(['cti', 'drachtio', 'redis', 'rtpengine']);
    expect(s.drachtio.image).toMatch(/^drachtio\/drachtio-server:/);
    expect(s.rtpengine.image).toMatch(/rtpengine/);
    expect(s.redis.image).toMatch(/^redis:/);
    expect(s.cti.build).toBe('.');
  });

  it('exposes SIP, control, media, Redis and HTTP ports', () => {
    expect(s.drachtio.ports).toEqual(expect.arrayContaining(['5060:5060/udp', '5060:5060/tcp', '9022:9022/tcp']));
    expect(s.rtpengine.ports).toEqual(expect.arrayContaining(['22222:22222/udp']));
    expect(s.redis.ports?.[0]).toMatch(/6379:6379$/);
    expect(s.cti.ports).toContain('3000:3000/tcp');
  });

  it('runs Redis with AOF persistence', () => {
    expect(String(s.redis.command)).toMatch(/appendonly,yes|appendonly yes/);
  });

  it('runs drachtio with the shared secret the service uses, and the service does not embed its own engine', () => {
    expect(String(s.drachtio.command)).toMatch(/--secret \$\{DRACHTIO_SECRET/);
    expect(String(s.drachtio.command)).toMatch(/--port 9022/);
    expect(s.cti.environment?.DRACHTIO_PORT).toBe('9022');
    expect(s.cti.environment?.SIP_ENGINE_EMBEDDED).toBe('false');
    expect(String(s.rtpengine.command)).toMatch(/--listen-ng=127\.0\.0\.1:22222/);
    expect(s.cti.environment?.RTPENGINE_PORT).toBe('22222');
  });

  it("service environment uses only known variables and parses with the config schema", () => {
    const env = s.cti.environment ?? {};
    const known = Object.keys(configSchema.shape);
    for (const k of Object.keys(env)) expect(known, `unknown variable ${k}`).toContain(k);
    // Substitute ${VAR:?msg} / ${VAR:-default} as compose would with production secrets set.
    const secrets: Record<string, string> = { DRACHTIO_SECRET: 'prod-secret', AUTH_SECRET: 'p'.repeat(40), ADMIN_PASSWORD: 'prod-admin-pw' };
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+)(?::[?-]([^}]*))?\}/g, (_m, name: string, def?: string) => secrets[name] ?? def ?? '')]),
    );
    const cfg = loadConfig(resolved);
    expect(cfg.NODE_ENV).toBe('production');
    expect(cfg.HTTP_PORT).toBe(3000);
  });
});
