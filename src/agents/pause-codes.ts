import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis.js';

export const pauseCodeSchema = z.object({
  code: z.string().min(1).max(32).regex(/^[a-z0-9_-]+$/),
  label: z.string().min(1).max(100),
});
export type PauseCode = z.infer<typeof pauseCodeSchema>;

/** Reason codes the system itself uses; they are always valid and cannot be removed. */
export const SYSTEM_PAUSE_CODES: PauseCode[] = [
  { code: 'auto-unanswered', label: 'Auto-paused after unanswered offers' },
  { code: 'not-registered', label: 'Softphone not registered' },
];

export const DEFAULT_PAUSE_CODES: PauseCode[] = [
  { code: 'break', label: 'Break' },
  { code: 'lunch', label: 'Lunch' },
  { code: 'training', label: 'Training' },
  { code: 'meeting', label: 'Meeting' },
  { code: 'after-call-work', label: 'After-call work' },
];

/** The configurable list of pause reasons (admin-managed); defaults until an admin sets a list. */
export class PauseCodeStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  private get key(): string { return this.keys.k('pause-codes'); }

  async list(): Promise<PauseCode[]> {
    const raw = await this.redis.get(this.key);
    const configured = raw ? (JSON.parse(raw) as PauseCode[]) : DEFAULT_PAUSE_CODES;
    return [...configured, ...SYSTEM_PAUSE_CODES];
  }

  async replace(codes: PauseCode[]): Promise<void> {
    const own = codes.filter((c) => !SYSTEM_PAUSE_CODES.some((s) => s.code === c.code));
    await this.redis.set(this.key, JSON.stringify(z.array(pauseCodeSchema).parse(own)));
  }

  async isValid(code: string): Promise<boolean> {
    return (await this.list()).some((c) => c.code === code);
  }
}
