import { pino } from 'pino';
import { startEngine } from './engine.js';
import type { Transport } from './message.js';

/**
 * CLI: `npm run engine`. Env: DRACHTIO_HOST (127.0.0.1), DRACHTIO_PORT (9022), DRACHTIO_SECRET (cymru, as src/config.ts),
 * SIP_HOST (127.0.0.1), SIP_PORT (5060), SIP_TRANSPORTS (udp,tcp), ACK_TIMEOUT_MS, LOG_LEVEL.
 */
const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });

function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got ${v}`);
  return n;
}

async function main(): Promise<void> {
  // same default as src/config.ts (drachtio-server's own default); say so loudly
  const secret = process.env.DRACHTIO_SECRET || 'cymru';
  if (!process.env.DRACHTIO_SECRET) log.warn('DRACHTIO_SECRET not set: using the default secret');
  const transports = (process.env.SIP_TRANSPORTS ?? 'udp,tcp').split(',').map((t) => t.trim().toLowerCase()) as Transport[];
  if (transports.some((t) => t !== 'udp' && t !== 'tcp')) throw new Error('SIP_TRANSPORTS may only list udp and tcp');
  const ack = process.env.ACK_TIMEOUT_MS ? Number(process.env.ACK_TIMEOUT_MS) : undefined;
  const engine = await startEngine({
    controlHost: process.env.DRACHTIO_HOST ?? '127.0.0.1',
    controlPort: intEnv('DRACHTIO_PORT', 9022),
    secret,
    sipHost: process.env.SIP_HOST ?? '127.0.0.1',
    sipPort: intEnv('SIP_PORT', 5060),
    transports,
    ackTimeoutMs: ack && ack > 0 ? ack : undefined,
    log,
  });
  log.info({ controlPort: engine.controlPort, sipPort: engine.sipPort }, 'engine ready');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping engine');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    engine.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'engine stop failed');
        process.exit(1);
      },
    );
  };
  // `kill -USR2 <pid>`: log open dialogs and pending transactions (diagnostics without a debugger)
  process.on('SIGUSR2', () => log.warn({ stats: engine.agent.stats() }, 'engine stats'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'engine failed to start');
  process.exit(1);
});
