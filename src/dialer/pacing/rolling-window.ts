/**
 * Answered / abandoned counts over a rolling window (24 h, 30 days...) kept in fixed buckets,
 * so a 30-day window costs a few hundred numbers. Can be seeded from the persisted hourly stats.
 */
export class RollingAbandonWindow {
  private readonly bucketMs: number;
  private readonly buckets = new Map<number, { answered: number; abandoned: number }>();

  constructor(readonly windowMs: number, buckets = 240) {
    this.bucketMs = Math.max(60_000, Math.ceil(windowMs / buckets));
  }

  add(at: number, answered: number, abandoned: number): void {
    const b = Math.floor(at / this.bucketMs);
    const cur = this.buckets.get(b) ?? { answered: 0, abandoned: 0 };
    cur.answered += answered;
    cur.abandoned += abandoned;
    this.buckets.set(b, cur);
  }

  totals(now: number): { answered: number; abandoned: number; rate: number } {
    const oldest = Math.floor((now - this.windowMs) / this.bucketMs);
    let answered = 0;
    let abandoned = 0;
    for (const [b, v] of this.buckets) {
      if (b <= oldest) {
        this.buckets.delete(b);
        continue;
      }
      answered += v.answered;
      abandoned += v.abandoned;
    }
    return { answered, abandoned, rate: answered ? abandoned / answered : 0 };
  }
}
