import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'cti'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** Every call-related log line carries callId so one grep follows a call across modules. */
export function callLogger(parent: Logger, callId: string, extra: Record<string, unknown> = {}): Logger {
  return parent.child({ callId, ...extra });
}
