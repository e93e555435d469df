import { z } from 'zod';
import { skillsSchema } from '../agents/agent-schema.js';

export const strategyNameSchema = z.enum([
  'longest-idle', 'round-robin', 'fewest-calls', 'least-talk-time', 'ring-all', 'random', 'skills-based', 'owner-first',
]);
export type StrategyName = z.infer<typeof strategyNameSchema>;

/** What happens when a caller waited too long (or the queue has nobody logged in). */
export const overflowActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('queue'), queueId: z.string().min(1) }),
  /** A voicemail-style message: played, then the outcome tells the IVR to take a message. */
  z.object({ type: z.literal('message'), prompt: z.string().min(1).default('leave-message') }),
  z.object({ type: z.literal('callback'), acceptKey: z.string().regex(/^[0-9*#]$/).default('1') }),
  z.object({ type: z.literal('hangup') }),
]);
export type OverflowAction = z.infer<typeof overflowActionSchema>;

export const queueIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/);

export const queueConfigSchema = z.object({
  id: queueIdSchema,
  name: z.string().min(1).max(200),
  strategy: strategyNameSchema.default('longest-idle'),
  /** skills-based: required skills with minimum levels (a call may add more). */
  requiredSkills: skillsSchema.default({}),
  /** owner-first: how long a known customer waits for their own rep before anyone may take the call. */
  ownerFallbackSec: z.number().min(0).max(3600).default(30),
  /** owner-first: how the fallback picks among the other agents. */
  fallbackStrategy: strategyNameSchema.exclude(['owner-first', 'ring-all']).default('longest-idle'),
  ringTimeoutSec: z.number().min(1).max(120).default(20),
  wrapUpSec: z.number().min(0).max(3600).default(10),
  /** Unanswered offers in a row before the agent is paused with reason auto-unanswered (0 = never). */
  autoPauseAfter: z.number().int().min(0).max(100).default(3),
  maxWaitSec: z.number().min(0).max(86_400).default(0),
  overflow: overflowActionSchema.optional(),
  /** Join even when no member is logged in. */
  joinEmpty: z.boolean().default(true),
  /** Waiting callers leave (overflow) when the last member logs out. */
  leaveWhenEmpty: z.boolean().default(false),
  /** A key that takes the caller out of the queue (to leave a callback request). */
  exitKey: z.string().regex(/^[0-9*#]$/).optional(),
  /** Position / estimated wait announcements every N seconds (0 = off). */
  announceEverySec: z.number().min(0).max(3600).default(0),
  announceEstimatedWait: z.boolean().default(true),
  /** Prompt key of the hold music (the media PromptSet's common 'moh'). */
  musicOnHold: z.string().min(1).default('moh'),
  /** Service level threshold: answered within this many seconds counts as "in service level". */
  serviceLevelSec: z.number().min(1).max(3600).default(20),
});
export type QueueConfig = z.infer<typeof queueConfigSchema>;
/** What an admin sends (defaults filled in). */
export type QueueConfigInput = z.input<typeof queueConfigSchema>;
