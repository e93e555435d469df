import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { interestLevelSchema } from './dispositions.js';
import { leadToHash, type Lead } from './lead.js';
import type { LeadStore } from './lead-store.js';
import { isValidZone, normalizePhone, zoneForNumber } from './phone.js';

export interface ImportTarget {
  campaignId: string;
  defaultCountry: string;
  defaultTimezone: string;
}

export interface ImportResult {
  imported: number;
  merged: number;
  /** First `maxReportedRejections` bad rows, by line number in the file (header = line 1). */
  rejected: { line: number; reason: string }[];
  rejectedTotal: number;
}

export interface ImportOptions {
  batchSize?: number;
  maxReportedRejections?: number;
  now?: number;
  /** Called after each batch is written (progress, and the tests' bounded-memory check). */
  onBatch?: (rowsDone: number) => void;
}

/** Known columns; every other column becomes a custom field shown in the screen pop. */
const PHONE_COLUMNS = ['phone', 'number', 'mobile', 'tel', 'telephone', 'phone_number'];
const KNOWN = new Set([...PHONE_COLUMNS, 'name', 'timezone', 'tz', 'owner', 'owner_agent_id', 'referred_by', 'interest']);

interface Row {
  line: number;
  phone: string;
  country?: string;
  timezone: string;
  timezoneSource: Lead['timezoneSource'];
  name?: string;
  owner?: string;
  referredBy?: string;
  interest?: Lead['interest'];
  fields: Record<string, string>;
}

/**
 * Streams a CSV (header row required) into a campaign's leads: E.164 normalisation, zone per lead,
 * duplicates merged (within the file and with existing leads of the campaign), bad rows reported by line
 * and skipped. Rows are written in pipelined batches and the parser is awaited per batch, so memory
 * stays bounded by the batch size whatever the file size.
 */
export async function importLeadsCsv(store: LeadStore, target: ImportTarget, input: Readable, opts: ImportOptions = {}): Promise<ImportResult> {
  const batchSize = opts.batchSize ?? 1000;
  const maxReported = opts.maxReportedRejections ?? 1000;
  const now = opts.now ?? Date.now();
  const result: ImportResult = { imported: 0, merged: 0, rejected: [], rejectedTotal: 0 };
  const reject = (line: number, reason: string) => {
    result.rejectedTotal++;
    if (result.rejected.length < maxReported) result.rejected.push({ line, reason });
  };

  const parser = parse({
    columns: (header: string[]) => header.map((h) => h.trim().toLowerCase().replace(/[\s-]+/g, '_')),
    bom: true, trim: true, skip_empty_lines: true, info: true, skip_records_with_error: true,
  });
  parser.on('skip', (err: Error & { lines?: number }) => reject(err.lines ?? 0, `malformed CSV: ${err.message}`));
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let batch: Row[] = [];
  let rowsDone = 0;
  // One batch is written while the next is parsed; batches still reach Redis strictly in order, so the
  // dedup lookups of a batch see every earlier batch.
  let writing: Promise<void> = Promise.resolve();
  const flush = async (rows: Row[]) => {
    await writing;
    writing = writeBatch(store, target, rows, now, result).then(() => {
      rowsDone += rows.length;
      opts.onBatch?.(rowsDone);
    });
  };
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const row = toRow(rec.record, rec.info.lines, target, reject);
      if (row) batch.push(row);
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length) await flush(batch);
  } finally {
    await writing;
  }
  result.rejected.sort((a, b) => a.line - b.line);
  return result;
}

function toRow(rec: Record<string, string>, line: number, t: ImportTarget, reject: (line: number, reason: string) => void): Row | null {
  const phoneCol = PHONE_COLUMNS.find((c) => c in rec);
  if (!phoneCol) return reject(line, 'no phone column (phone, number, mobile, tel)'), null;
  const n = normalizePhone(rec[phoneCol] ?? '', t.defaultCountry);
  if (!n.ok) return reject(line, n.reason), null;
  let timezone: string;
  let timezoneSource: Lead['timezoneSource'];
  const givenTz = rec.timezone || rec.tz;
  if (givenTz) {
    if (!isValidZone(givenTz)) return reject(line, `unknown time zone "${givenTz}"`), null;
    timezone = givenTz;
    timezoneSource = 'given';
  } else {
    const g = zoneForNumber(n.e164, n.country, t.defaultTimezone);
    timezone = g.zone;
    timezoneSource = g.source;
  }
  let interest: Lead['interest'];
  if (rec.interest) {
    const r = interestLevelSchema.safeParse(rec.interest.toLowerCase().replace(/[\s_]+/g, '-'));
    if (!r.success) return reject(line, `unknown interest level "${rec.interest}"`), null;
    interest = r.data;
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec)) if (!KNOWN.has(k) && v !== '') fields[k] = v;
  let referredBy = rec.referred_by || undefined;
  if (referredBy && !referredBy.startsWith('L')) {
    // A referrer given by phone number: normalise it so it matches the owner index.
    const r = normalizePhone(referredBy, t.defaultCountry);
    if (!r.ok) return reject(line, `referred_by: ${r.reason}`), null;
    referredBy = r.e164;
  }
  return {
    line, phone: n.e164, timezone, timezoneSource, fields,
    ...(n.country ? { country: n.country } : {}),
    ...(rec.name ? { name: rec.name } : {}),
    ...(rec.owner || rec.owner_agent_id ? { owner: rec.owner || rec.owner_agent_id } : {}),
    ...(referredBy ? { referredBy } : {}),
    ...(interest ? { interest } : {}),
  };
}

async function writeBatch(store: LeadStore, t: ImportTarget, rows: Row[], now: number, result: ImportResult): Promise<void> {
  const { redis, k } = store;
  // 1. Duplicates inside the batch merge into the first occurrence.
  const byPhone = new Map<string, Row>();
  for (const r of rows) {
    const first = byPhone.get(r.phone);
    if (first) {
      mergeRow(first, r);
      result.merged++;
    } else byPhone.set(r.phone, r);
  }
  const unique = [...byPhone.values()];

  // 2. One round trip for: existing lead ids, owners of these numbers, referrers' owners.
  const referrers = unique.map((r) => r.referredBy).filter((x): x is string => !!x);
  const look = redis.pipeline();
  look.hmget(k.phones(t.campaignId), ...unique.map((r) => r.phone));
  look.hmget(k.phoneOwner(), ...unique.map((r) => r.phone));
  for (const ref of referrers) {
    if (ref.startsWith('+')) look.hget(k.phoneOwner(), ref);
    else look.hget(k.lead(ref), 'ownerAgentId');
  }
  const res = (await look.exec()) ?? [];
  const existingIds = res[0][1] as (string | null)[];
  const phoneOwners = res[1][1] as (string | null)[];
  const refOwner = new Map<string, string>();
  referrers.forEach((ref, i) => {
    const o = res[2 + i][1] as string | null;
    if (o) refOwner.set(ref, o);
  });

  // 3. Existing leads: read what a merge needs.
  const existing = unique.map((r, i) => ({ r, id: existingIds[i], phoneOwner: phoneOwners[i] }));
  const toMerge = existing.filter((e) => e.id);
  const cur = redis.pipeline();
  for (const e of toMerge) cur.hmget(k.lead(e.id!), 'fields', 'ownerAgentId');
  const curRes = (await cur.exec()) ?? [];
  const fresh = existing.filter((e) => !e.id);
  const ids = fresh.length ? await store.nextIds(fresh.length) : [];

  const w = redis.pipeline();
  toMerge.forEach((e, i) => {
    const [fieldsJson, owner] = curRes[i][1] as (string | null)[];
    const h: Record<string, string> = { updatedAt: String(now), fields: JSON.stringify({ ...(fieldsJson ? JSON.parse(fieldsJson) : {}), ...e.r.fields }) };
    if (e.r.name) h.name = e.r.name;
    if (e.r.interest) h.interest = e.r.interest;
    if (e.r.timezoneSource === 'given') Object.assign(h, { timezone: e.r.timezone, timezoneSource: 'given' });
    // Never move an owned customer to another rep on import.
    const newOwner = !owner ? ownerFor(e.r, e.phoneOwner, refOwner) : undefined;
    if (newOwner) {
      h.ownerAgentId = newOwner;
      w.zadd(k.ownerLeads(newOwner), now, e.id!);
      w.hsetnx(k.phoneOwner(), e.r.phone, newOwner);
    }
    w.hset(k.lead(e.id!), h);
    result.merged++;
  });
  fresh.forEach((e, i) => {
    const id = ids[i];
    const owner = ownerFor(e.r, e.phoneOwner, refOwner);
    const lead: Lead = {
      id, campaignId: t.campaignId, phone: e.r.phone, timezone: e.r.timezone, timezoneSource: e.r.timezoneSource,
      fields: e.r.fields, status: 'queued', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now,
      ...(e.r.country ? { country: e.r.country } : {}),
      ...(e.r.name ? { name: e.r.name } : {}),
      ...(e.r.interest ? { interest: e.r.interest } : {}),
      ...(owner ? { ownerAgentId: owner } : {}),
      ...(e.r.referredBy ? { referredBy: e.r.referredBy } : {}),
    };
    w.hset(k.lead(id), leadToHash(lead));
    w.hset(k.phones(t.campaignId), e.r.phone, id);
    w.zadd(k.leads(t.campaignId), Number(id.slice(1)), id);
    w.zadd(k.queue(t.campaignId), now, id);
    if (owner) {
      w.zadd(k.ownerLeads(owner), now, id);
      w.hsetnx(k.phoneOwner(), e.r.phone, owner);
    }
    result.imported++;
  });
  await w.exec();
}

/** Owner precedence: the rep who already owns this number, then the referrer's rep, then the file's owner column. */
function ownerFor(r: Row, phoneOwner: string | null, refOwner: Map<string, string>): string | undefined {
  return phoneOwner ?? (r.referredBy ? refOwner.get(r.referredBy) : undefined) ?? r.owner;
}

function mergeRow(into: Row, r: Row): void {
  Object.assign(into.fields, r.fields);
  if (r.name) into.name = r.name;
  if (r.interest) into.interest = r.interest;
  if (!into.owner && r.owner) into.owner = r.owner;
  if (!into.referredBy && r.referredBy) into.referredBy = r.referredBy;
  if (r.timezoneSource === 'given') Object.assign(into, { timezone: r.timezone, timezoneSource: 'given' });
}
