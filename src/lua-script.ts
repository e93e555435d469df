import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/**
 * A Lua script kept as a .lua file beside the code that uses it, run with EVALSHA (falls back to EVAL
 * after a Redis restart flushed the script cache).
 */
export class LuaScript {
  readonly source: string;
  private sha?: string;

  constructor(fileUrl: URL) {
    this.source = readFileSync(fileURLToPath(fileUrl), 'utf8');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    if (!this.sha) this.sha = (await redis.script('LOAD', this.source)) as string;
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
