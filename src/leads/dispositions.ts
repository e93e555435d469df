import { z } from 'zod';

export const dispositionSchema = z.object({
  code: z.string().min(1).max(40).regex(/^[a-z0-9_-]+$/),
  label: z.string().min(1).max(80),
  /** No more calls for this lead in this campaign. */
  final: z.boolean().default(false),
  /** Agent picks a callback time; the lead is re-queued then (owner agent keeps it). */
  callback: z.boolean().default(false),
  /** Customer refused: add to the campaign's DNC list for the campaign's refusal period (seeds 002 §5.4.3). */
  dnc: z.boolean().default(false),
  sale: z.boolean().default(false),
  humanAnswered: z.boolean().default(true),
});
export type Disposition = z.infer<typeof dispositionSchema>;

export const DEFAULT_DISPOSITIONS: Disposition[] = [
  { code: 'sale', label: 'Sale', final: true, callback: false, dnc: false, sale: true, humanAnswered: true },
  { code: 'interested', label: 'Interested, call back', final: false, callback: true, dnc: false, sale: false, humanAnswered: true },
  { code: 'callback', label: 'Asked to be called back', final: false, callback: true, dnc: false, sale: false, humanAnswered: true },
  { code: 'not-interested', label: 'Not interested (refused)', final: true, callback: false, dnc: true, sale: false, humanAnswered: true },
  { code: 'wrong-number', label: 'Wrong number', final: true, callback: false, dnc: false, sale: false, humanAnswered: true },
  { code: 'no-decision', label: 'Talked, no decision', final: false, callback: false, dnc: false, sale: false, humanAnswered: true },
  { code: 'answering-machine', label: 'Answering machine', final: false, callback: false, dnc: false, sale: false, humanAnswered: false },
];

/** Interest levels from the seeds (000 excrm): resistant, no opinion, interested, positive, strong need. */
export const interestLevelSchema = z.enum(['resistant', 'no-opinion', 'interested', 'positive', 'strong-need']);
export type InterestLevel = z.infer<typeof interestLevelSchema>;
