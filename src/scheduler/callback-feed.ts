import { z } from 'zod';
import { maskPhone, type Principal } from '../auth/roles.js';
import { HttpError } from '../api/error-handler.js';
import type { Callback } from './callback-schema.js';
import type { CallbackService } from './callback-service.js';

const reqId = z.union([z.string().max(64), z.number()]).optional();

/**
 * Callback commands for the agent WebSocket (src/ws): to be added to clientMessageSchema by the gateway
 * owner, which then calls CallbackFeed.handle and sends the result as the `ack`.
 */
export const callbackFeedMessageSchema = z.discriminatedUnion('type', [
  /** Own callbacks still to come (default: the next 24 h). */
  z.object({ type: z.literal('callbacks.list'), id: reqId, withinHours: z.number().min(0).max(24 * 31).default(24) }),
  z.object({ type: z.literal('callbacks.reschedule'), id: reqId, callbackId: z.string().min(1).max(100), dueAt: z.iso.datetime({ offset: true }) }),
  z.object({ type: z.literal('callbacks.cancel'), id: reqId, callbackId: z.string().min(1).max(100) }),
]);
export type CallbackFeedMessage = z.infer<typeof callbackFeedMessageSchema>;

/** The same rules as the REST routes: agents act on their own callbacks only and see masked numbers. */
export class CallbackFeed {
  constructor(private readonly callbacks: CallbackService, private readonly now: () => number = Date.now) {}

  async handle(p: Principal, msg: CallbackFeedMessage): Promise<{ callbacks: Callback[] } | { callback: Callback }> {
    const agentId = p.role === 'agent' ? p.agentId : undefined;
    if (p.role === 'agent' && !agentId) throw new HttpError(403, 'forbidden', 'agent token without agentId');
    const view = (cb: Callback): Callback => ({ ...cb, phone: maskPhone(cb.phone, p.role) });
    if (msg.type === 'callbacks.list') {
      const now = this.now();
      const list = await this.callbacks.list({ ...(agentId ? { agentId } : {}), status: 'scheduled', from: now - 3600_000, to: now + msg.withinHours * 3600_000 });
      return { callbacks: list.map(view) };
    }
    const cb = await this.callbacks.get(msg.callbackId);
    if (!cb || (agentId && cb.ownerAgentId !== agentId)) throw new HttpError(404, 'not_found', `callback ${msg.callbackId} not found`);
    const who = agentId ?? p.sub;
    const next = msg.type === 'callbacks.reschedule'
      ? await this.callbacks.reschedule(cb.id, Date.parse(msg.dueAt), who)
      : await this.callbacks.cancel(cb.id, who);
    return { callback: view(next) };
  }
}
