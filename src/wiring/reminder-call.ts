import type { Logger } from '../logger.js';
import type { PromptSet } from '../media/prompts.js';
import { promptSetReminderPrompts, ReminderCall } from '../scheduler/reminder-call.js';
import type { QueueEntry, ReminderCallRunner } from '../scheduler/ports.js';

/** The payment reminder call over the media prompt set; key 1 goes to the ACD. */
export function promptReminderCall(o: { prompts: PromptSet; queue: QueueEntry; log: Logger }): ReminderCallRunner {
  return new ReminderCall({ prompts: promptSetReminderPrompts(o.prompts), queue: o.queue, log: o.log });
}
