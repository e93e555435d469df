import { z } from 'zod';
import { agentIdSchema, requestableStateSchema } from '../agents/agent-schema.js';

/**
 * WebSocket protocol (JSON text frames) on /ws?token=<bearer token>.
 * Client -> server: `state` (agents: their own; supervisors/admins may name an agentId), `subscribe` /
 * `unsubscribe` to queues (supervisors/admins; '*' = all), `ping`. Every request may carry an `id`
 * echoed in its `ack` or `error`.
 * Server -> client: `hello`, `ack`, `error`, `event` (bus events for the socket), `stats` (queue figures).
 */
const id = z.union([z.string().max(64), z.number()]).optional();

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), id, state: requestableStateSchema, reason: z.string().max(32).optional(), agentId: agentIdSchema.optional() }),
  z.object({ type: z.literal('subscribe'), id, queues: z.array(z.string().min(1).max(64)).min(1).max(200) }),
  z.object({ type: z.literal('unsubscribe'), id, queues: z.array(z.string().min(1).max(64)).min(1).max(200) }),
  z.object({ type: z.literal('ping'), id }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type ServerMessage =
  | { type: 'hello'; role: string; agentId?: string; status?: { state: string; since: number; reason?: string } }
  | { type: 'ack'; id?: string | number; [k: string]: unknown }
  | { type: 'error'; id?: string | number; error: string; message: string }
  | { type: 'event'; topic: string; event: Record<string, unknown> }
  | { type: 'stats'; queueId: string; stats: Record<string, unknown> };
