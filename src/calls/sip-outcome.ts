/** How a failed INVITE's final status maps onto dialer/ACD outcomes. */
export type FailedOutcome = 'busy' | 'no-answer' | 'rejected' | 'failed';

export function outcomeForStatus(status: number | undefined): FailedOutcome {
  if (status === undefined) return 'failed';
  if (status === 486 || status === 600) return 'busy';
  // 408 (no response / ring timeout at the far end), 480 (temporarily unavailable), 487 (we cancelled after the ring timeout)
  if (status === 408 || status === 480 || status === 487) return 'no-answer';
  if (status >= 400 && status < 700) return 'rejected';
  return 'failed';
}
