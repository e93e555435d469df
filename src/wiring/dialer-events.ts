import type { DialerEvent } from '../dialer/campaign-dialer.js';
import type { Logger } from '../logger.js';
import type { EventPublisher } from '../scheduler/ports.js';

/** Dialer events to the bus: `campaign:<id>` for wallboards, and `agent:<id>` when an agent is involved. */
export function dialerEventPublisher(bus: EventPublisher, log: Logger): (e: DialerEvent) => void {
  return (e) => {
    const { type, ...rest } = e;
    const ev = { type: `dialer.${type}`, ...rest };
    void bus.publish(`campaign:${e.campaignId}`, ev).catch((err) => log.warn({ err }, 'dialer event publish failed'));
    if (e.agentId) void bus.publish(`agent:${e.agentId}`, ev).catch(() => undefined);
  };
}
