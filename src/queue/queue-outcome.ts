/** How a caller's time in a queue ended (what QueueService.enqueue resolves with). */
export type QueueOutcome =
  | { outcome: 'completed'; queueId: string; agentId: string; by: 'agent' | 'caller'; waitMs: number; talkMs: number }
  | { outcome: 'abandoned'; queueId: string; waitMs: number }
  | { outcome: 'exit-key'; queueId: string; key: string; callbackRequested: boolean; waitMs: number }
  | {
      outcome: 'timeout' | 'empty';
      queueId: string;
      waitMs: number;
      /** What was done: the IVR takes over for 'message' (record a voicemail) and 'none'. */
      action: 'queue' | 'message' | 'callback' | 'hangup' | 'none';
      callbackRequested?: boolean;
      /** With action 'queue': how the overflow queue ended. */
      next?: QueueOutcome;
    }
  | { outcome: 'error'; queueId: string; reason: 'unknown-queue' | 'overflow-loop' | 'internal' };

export interface EnqueueOptions {
  queueId: string;
  /** 0..9, higher first. */
  priority?: number;
  /** IVR variables, shown in the screen pop. */
  vars?: Record<string, string>;
  /** Digits the caller entered in the IVR, for the screen pop. */
  digits?: string;
  leadId?: string;
  /** Skills this call needs on top of the queue's (e.g. language chosen in the IVR). */
  skills?: Record<string, number>;
}
