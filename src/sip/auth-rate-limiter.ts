/**
 * Counts failed digest attempts per source address in a sliding window; a source over the limit is
 * locked out (no challenge, straight 403) until its failures age out. In-memory per instance on purpose:
 * a brute-forcer spread over instances still gets at most limit x instances tries per window.
 */
export interface RateLimiterOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

export class AuthRateLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly opts: RateLimiterOptions) {
    this.now = opts.now ?? Date.now;
  }

  private recent(source: string): number[] {
    const cutoff = this.now() - this.opts.windowMs;
    const list = (this.failures.get(source) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(source, list);
    else this.failures.delete(source);
    return list;
  }

  isBlocked(source: string): boolean {
    return this.recent(source).length >= this.opts.maxFailures;
  }

  recordFailure(source: string): void {
    const list = this.recent(source);
    list.push(this.now());
    this.failures.set(source, list);
    if (this.failures.size > 10_000) this.prune();
  }

  recordSuccess(source: string): void {
    this.failures.delete(source);
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}
