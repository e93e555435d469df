import { Queue, type ConnectionOptions } from 'bullmq';

/** Job names on the scheduler queue and their data. */
export interface JobDataByName {
  'callback-due-soon': { callbackId: string; jobRef: string };
  'callback-due': { callbackId: string };
  reminder: { paymentId: string; step: number; attempt: number };
  retention: Record<string, never>;
}
export type JobName = keyof JobDataByName;

export interface SchedulerQueueOptions {
  connection: ConnectionOptions;
  /** BullMQ key prefix (default 'bull'); tests and benches use a unique one so runs never collide. */
  prefix?: string;
  /** Queue name (default 'scheduler'). */
  name?: string;
}

/** BullMQ job ids may not contain ':' nor be integers; ids here are dot-separated with a letter prefix. */
export function jobId(...parts: (string | number)[]): string {
  return parts.map((p) => String(p).replace(/:/g, '_')).join('.');
}

/**
 * The one BullMQ queue behind callbacks, reminders and maintenance. Jobs carry deterministic ids, so the
 * same request retried adds nothing new (BullMQ ignores an add whose id already exists).
 */
export class SchedulerQueue {
  readonly queue: Queue;
  readonly name: string;
  readonly prefix: string;

  constructor(o: SchedulerQueueOptions) {
    this.name = o.name ?? 'scheduler';
    this.prefix = o.prefix ?? 'bull';
    this.queue = new Queue(this.name, {
      connection: o.connection,
      prefix: this.prefix,
      defaultJobOptions: {
        // Handler errors (Redis blips, call control down) are retried; business outcomes are not errors.
        attempts: 5,
        backoff: { type: 'exponential', delay: 5_000 },
        removeOnComplete: { age: 7 * 24 * 3600, count: 50_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    });
  }

  async at<N extends JobName>(name: N, id: string, data: JobDataByName[N], fireAt: number, now = Date.now()): Promise<void> {
    await this.queue.add(name, data, { jobId: id, delay: Math.max(0, fireAt - now) });
  }

  /** Removes jobs that have not started; returns how many were removed. A running job finds its record stale instead. */
  async removeMany(ids: string[]): Promise<number> {
    let n = 0;
    for (const id of ids) {
      if (!id) continue;
      try {
        n += (await this.queue.remove(id)) === 1 ? 1 : 0;
      } catch {
        // Locked (running): the handler's stale check makes it a no-op.
      }
    }
    return n;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
