import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { testRedis } from '../../support/redis.js';
import { LeadStore } from '../../../src/leads/lead-store.js';
import { importLeadsCsv } from '../../../src/leads/csv-import.js';
import { OwnerLookup } from '../../../src/leads/owner-lookup.js';

const t = testRedis();
const store = new LeadStore(t.redis, t.keys);
const target = (campaignId: string) => ({ campaignId, defaultCountry: 'CN', defaultTimezone: 'Asia/Shanghai' });
const csv = (s: string) => Readable.from([s]);

afterAll(() => t.cleanup());

describe('CSV lead import', () => {
  it('normalises to E.164, reports bad rows by line, merges duplicates, keeps custom fields', async () => {
    const file = [
      'Phone,Name,Product,Interest,Owner',        // 1
      '138 0013 8000,Wang Wei,car insurance,interested,a1', // 2
      'not-a-number,Bad Row,x,,',                  // 3
      '+86 138-0013-8000,Wang W.,,positive,',      // 4 duplicate of line 2
      '+1 415 555 2671,Jane,home,,',               // 5 US, Pacific by area code
      '+442079460000,Tom,life,strong need,',       // 6 UK
      '13900000000,Li,life,hot,',                  // 7 bad interest level
      '010 6552 9988,Zhao,,no opinion,',           // 8 landline Beijing
      '"12345",Short,,,',                          // 9 invalid
    ].join('\n');
    const r = await importLeadsCsv(store, target('c1'), csv(file), { now: 1000 });
    expect(r.imported).toBe(4);
    expect(r.merged).toBe(1);
    expect(r.rejected.map((x) => x.line)).toEqual([3, 7, 9]);
    expect(r.rejected[1].reason).toMatch(/interest/);
    const wang = await store.findByPhone('c1', '+8613800138000');
    expect(wang).toMatchObject({
      name: 'Wang W.', interest: 'positive', timezone: 'Asia/Shanghai', timezoneSource: 'country', ownerAgentId: 'a1',
      fields: { product: 'car insurance' }, status: 'queued', attempts: 0,
    });
    expect(await store.findByPhone('c1', '+14155552671')).toMatchObject({ timezone: 'America/Los_Angeles', timezoneSource: 'area-code' });
    expect(await store.findByPhone('c1', '+442079460000')).toMatchObject({ timezone: 'Europe/London', interest: 'strong-need' });
    expect(await store.findByPhone('c1', '+861065529988')).toMatchObject({ interest: 'no-opinion' });
    expect(await store.queueSize('c1')).toBe(4);
  });

  it('a second import of the same numbers merges fields into the existing leads', async () => {
    const r = await importLeadsCsv(store, target('c1'), csv('phone,product,region\n13800138000,travel,north\n'));
    expect(r).toMatchObject({ imported: 0, merged: 1, rejected: [] });
    expect((await store.findByPhone('c1', '+8613800138000'))?.fields).toEqual({ product: 'travel', region: 'north' });
    expect(await store.count('c1')).toBe(4);
  });

  it('referrals inherit the referrer\'s owner; a number already owned keeps its rep', async () => {
    const owners = new OwnerLookup(store);
    const r = await importLeadsCsv(store, target('c2'), csv([
      'phone,name,referred_by,owner,timezone',
      '13700000001,Friend of Wang,13800138000,a9,',   // owner column a9 loses to the referrer's owner a1
      '13800138000,Wang again,,a7,',                  // already a1's customer (other campaign)
      '13700000002,Nobody,,,Asia/Urumqi',
      '13700000003,Bad tz,,,Mars/Base',
    ].join('\n')));
    expect(r.imported).toBe(3);
    expect(r.rejected).toEqual([{ line: 5, reason: 'unknown time zone "Mars/Base"' }]);
    expect(await owners.ownerOf('+8613700000001')).toBe('a1');
    expect((await store.findByPhone('c2', '+8613800138000'))?.ownerAgentId).toBe('a1');
    const friend = await store.findByPhone('c2', '+8613700000001');
    expect(await owners.ownerOf(friend!.id)).toBe('a1');
    expect(await store.findByPhone('c2', '+8613700000002')).toMatchObject({ timezone: 'Asia/Urumqi', timezoneSource: 'given' });
    expect(await owners.ownerOf('+8613700000002')).toBeNull();
  });

  it('malformed CSV rows are skipped with their line, the rest imported', async () => {
    const r = await importLeadsCsv(store, target('c3'), csv('phone,name\n13600000001,A\n13600000002,B,extra\n13600000003,C\n'));
    expect(r.imported).toBe(2);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0].line).toBe(3);
    expect(r.rejected[0].reason).toMatch(/malformed/);
  });

  it('streams 100k rows with bounded buffering (rows generated lazily, written in batches)', async () => {
    const N = 100_000;
    let produced = 0;
    let maxAhead = 0;
    let written = 0;
    // A lazy source: each chunk is generated only when the importer pulls it.
    const source = Readable.from((function* () {
      yield 'phone,name,seq\n';
      for (let i = 0; i < N; i += 500) {
        let chunk = '';
        for (let j = i; j < i + 500; j++) chunk += `+86135${String(j).padStart(8, '0')},Lead ${j},${j}\n`;
        produced = i + 500;
        maxAhead = Math.max(maxAhead, produced - written);
        yield chunk;
      }
      // A duplicate and a bad row at the end.
      yield '+8613500000007,Dup,7\nxx,Bad,0\n';
    })(), { objectMode: false });
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const r = await importLeadsCsv(store, target('big'), source, {
      batchSize: 1000,
      onBatch: (done) => {
        written = done;
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      },
    });
    expect(r.imported).toBe(N);
    expect(r.merged).toBe(1);
    expect(r.rejected).toEqual([{ line: N + 3, reason: 'unparseable phone "xx"' }]);
    expect(await store.count('big')).toBe(N);
    // The parser never ran far ahead of the Redis writes: backpressure works, the file is not slurped.
    expect(maxAhead).toBeLessThan(N / 4);
    console.log(`100k import: max rows buffered ahead of writes ${maxAhead}, heap growth ${((heapPeak - heapBefore) / 1e6).toFixed(1)} MB`);
  }, 60_000);
});
