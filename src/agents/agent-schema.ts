import { z } from 'zod';

/** Agent states (the ACD drives reserved, on-call and wrap-up; agents choose the others). */
export const agentStateSchema = z.enum(['logged-out', 'available', 'reserved', 'on-call', 'wrap-up', 'paused']);
export type AgentState = z.infer<typeof agentStateSchema>;

/** States an agent (or a supervisor for them) may request by API or WebSocket. */
export const requestableStateSchema = z.enum(['available', 'paused', 'logged-out']);
export type RequestableState = z.infer<typeof requestableStateSchema>;

export const agentIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/);
export const skillsSchema = z.record(z.string().min(1).max(64), z.number().int().min(1).max(10));
export type Skills = z.infer<typeof skillsSchema>;

/** What an admin sends to create or replace an agent. The SIP secret is a password or its HA1 (write-only). */
export const agentInputSchema = z.object({
  id: agentIdSchema,
  name: z.string().min(1).max(200),
  sipUsername: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.+-]+$/),
  sipPassword: z.string().min(8).max(200).optional(),
  sipHa1: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  skills: skillsSchema.default({}),
  queues: z.array(z.string().min(1).max(64)).default([]),
}).refine((a) => (a.sipPassword === undefined) !== (a.sipHa1 === undefined), {
  message: 'give exactly one of sipPassword or sipHa1',
  path: ['sipPassword'],
});
export type AgentInput = z.infer<typeof agentInputSchema>;

/** An agent as the API shows it: never the SIP secret. */
export const agentViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  sipUsername: z.string(),
  skills: skillsSchema,
  queues: z.array(z.string()),
});
export type AgentView = z.infer<typeof agentViewSchema>;

export function toView(a: AgentInput): AgentView {
  return { id: a.id, name: a.name, sipUsername: a.sipUsername, skills: a.skills, queues: a.queues };
}
