import type { Logger } from 'pino';
import type { Transport } from './message.js';
import { SipStack } from './stack.js';
import { ControlServer } from './control-server.js';
import { Agent } from './agent.js';

export interface EngineOptions {
  /** drachtio control protocol listener (apps connect here with drachtio-srf). */
  controlHost: string;
  controlPort: number;
  secret: string;
  sipHost: string;
  /** 0 picks a free port (UDP and TCP share it). */
  sipPort: number;
  transports?: Transport[];
  log: Logger;
  /** No ACK for a 2xx within this time -> BYE (default 64*T1 = 32 s). */
  ackTimeoutMs?: number;
}

export interface RunningEngine {
  controlPort: number;
  sipPort: number;
  agent: Agent;
  stop(): Promise<void>;
}

/** Starts the embedded drachtio-compatible SIP engine: SIP stack + control server + dialog agent. */
export async function startEngine(opts: EngineOptions): Promise<RunningEngine> {
  const log = opts.log.child({ engine: 'sip' });
  const stack = new SipStack({ host: opts.sipHost, port: opts.sipPort, transports: opts.transports ?? ['udp', 'tcp'], log });
  await stack.start();
  const agent = new Agent({ stack, log, ackTimeoutMs: opts.ackTimeoutMs });
  const control = new ControlServer({ host: opts.controlHost, port: opts.controlPort, secret: opts.secret, log, handler: agent });
  agent.attach(control);
  let controlPort: number;
  try {
    controlPort = await control.start();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const sipPort = stack.listening[0]?.port ?? opts.sipPort;
  log.info({ controlPort, sipPort, sip: agent.hostports() }, 'SIP engine started');
  let stopped = false;
  return {
    controlPort,
    sipPort,
    agent,
    async stop() {
      if (stopped) return;
      stopped = true;
      agent.stop();
      await control.stop();
      await stack.stop();
      log.info('SIP engine stopped');
    },
  };
}
