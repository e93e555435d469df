// Streams a generated CSV of N leads from disk into Redis through the real importer and reports time and memory.
// Usage: npx tsx scripts/bench-lead-import.ts [rows=1000000]
// Uses its own key prefix on the local Redis and deletes its keys afterwards.
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Keys } from '../src/redis.js';
import { LeadStore } from '../src/leads/lead-store.js';
import { importLeadsCsv } from '../src/leads/csv-import.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const file = join(tmpdir(), `leads-${rows}-${process.pid}.csv`);
const out = createWriteStream(file);
out.write('phone,name,product,region,interest\n');
for (let i = 0; i < rows; i++) {
  // ~0.5 % duplicates and ~0.1 % bad numbers, as in a real list.
  const n = i % 200 === 199 ? i - 1 : i;
  const phone = i % 1000 === 999 ? 'n/a' : `+86139${String(n).padStart(8, '0')}`;
  if (!out.write(`${phone},Customer ${i},plan-${i % 7},region-${i % 31},${['interested', 'positive', ''][i % 3]}\n`)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');
const size = statSync(file).size;

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `bench:${randomUUID().slice(0, 8)}:`;
const store = new LeadStore(redis, new Keys(prefix));
const memBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 100);
const t0 = performance.now();
const r = await importLeadsCsv(store, { campaignId: 'bench', defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' }, createReadStream(file));
const secs = (performance.now() - t0) / 1000;
clearInterval(sampler);
const memAfter = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
console.log(`rows ${rows} (file ${(size / 1e6).toFixed(1)} MB): imported ${r.imported}, merged ${r.merged}, rejected ${r.rejectedTotal}`);
console.log(`time ${secs.toFixed(1)} s (${Math.round(rows / secs)} rows/s); peak RSS ${(peakRss / 1e6).toFixed(0)} MB, peak heap ${(peakHeap / 1e6).toFixed(0)} MB; Redis +${((memAfter - memBefore) / 1e6).toFixed(0)} MB`);

let cursor = '0';
do {
  const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
  cursor = next;
  if (batch.length) await redis.unlink(...batch);
} while (cursor !== '0');
redis.disconnect();
rmSync(file);
