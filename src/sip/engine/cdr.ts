import type { ControlServer } from './control-server.js';
import { stackTime } from './control-framing.js';
import type { SipMessage } from './message.js';

/** Why a call ended, as drachtio-server words it in `cdr:stop`. */
export type CdrStopReason = 'normal-release' | 'call-rejected' | 'call-canceled' | 'ack-timeout' | 'session-expired' | 'system-error';
export type CdrSource = 'network' | 'application';
export type CdrRole = 'uac' | 'uas' | 'uac-proxy' | 'uas-proxy';

/**
 * Call detail events for apps that subscribed with `srf.on('cdr:attempt' | 'cdr:start' | 'cdr:stop')`
 * (srf sends `route|cdr:attempt` etc.). Each event goes to one subscribed app (round-robin), like requests.
 */
export class CdrEmitter {
  constructor(private readonly control: ControlServer) {}

  attempt(source: CdrSource, msg: SipMessage): void {
    this.emit('cdr:attempt', `${source}|${stackTime()}`, msg);
  }

  start(source: CdrSource, role: CdrRole, msg: SipMessage): void {
    this.emit('cdr:start', `${source}|${stackTime()}|${role}`, msg);
  }

  stop(source: CdrSource, reason: CdrStopReason, msg: SipMessage): void {
    this.emit('cdr:stop', `${source}|${stackTime()}|${reason}`, msg);
  }

  private emit(event: string, meta: string, msg: SipMessage): void {
    const app = this.control.pickApp(event);
    if (!app) return;
    app.send(`${event}|${meta}\r\n${msg.toString()}`);
  }
}
