import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from '../../support/app.js';
import { recordingRoutes, parseRange } from '../../../src/api/recording-routes.js';
import { RecordingStore, enforceRetention, type Recording } from '../../../src/recording/recording-store.js';
import { encodeWav } from '../../../src/media/wav.js';

const dir = mkdtempSync(join(tmpdir(), 'rec-api-'));
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-22T12:00:00Z');

function rec(id: string, o: Partial<Recording> & { ageDays?: number; minute?: number } = {}): Recording {
  const path = join(dir, `${id}.wav`);
  writeFileSync(path, encodeWav([new Int16Array(800).fill(100), new Int16Array(800).fill(-100)]));
  const { ageDays = 0, minute = 0, ...rest } = o;
  return {
    id, callId: `call-${id}`, startedAt: new Date(NOW - ageDays * DAY + minute * 60_000).toISOString(), durationMs: 100,
    noticePlayed: true, pausedMs: 0, path, sizeBytes: 44 + 3200, format: 'wav', ...rest,
  };
}

describe('RecordingStore + /recordings API', () => {
  let t: TestApp;
  let store: RecordingStore;

  beforeAll(async () => {
    t = await testApp((ctx) => {
      store = new RecordingStore(ctx.redis, ctx.keys, { defaultRetentionDays: 30, retentionByCampaign: { short: 7 } });
      return [{ name: 'recordings', plugin: async (app) => app.register(recordingRoutes, { store, audit: ctx.audit }) }];
    });
    await store.save(rec('r1', { agentId: 'a1', campaignId: 'c1', minute: 1 }));
    await store.save(rec('r2', { agentId: 'a2', campaignId: 'c1', queueId: 'q1', minute: 2 }));
    await store.save(rec('r3', { agentId: 'a1', queueId: 'q1', leadId: 'L9', minute: 3 }));
    await store.save(rec('r4', { agentId: 'a1', campaignId: 'c1', minute: 3 })); // same start as r3
    await store.save(rec('old', { campaignId: 'short', ageDays: 10 }));
  });
  afterAll(async () => t.close());

  const get = (url: string, role: 'admin' | 'supervisor' | 'agent' = 'supervisor', headers: Record<string, string> = {}) =>
    t.app.inject({ url, headers: { ...t.auth(role, role === 'agent' ? 'a1' : undefined), ...headers } });

  it('is for supervisors and admins only', async () => {
    expect((await t.app.inject('/recordings')).statusCode).toBe(401);
    expect((await get('/recordings', 'agent')).statusCode).toBe(403);
    expect((await get('/recordings/r1/audio', 'agent')).statusCode).toBe(403);
    expect((await get('/recordings', 'admin')).statusCode).toBe(200);
  });

  it('lists newest first with filters, and never exposes the file path', async () => {
    const all = (await get('/recordings')).json();
    expect(all.items.map((r: Recording) => r.id)).toEqual(['r4', 'r3', 'r2', 'r1', 'old']);
    expect(all.items[0].path).toBeUndefined();
    expect(all.items[0].audioUrl).toBe('/recordings/r4/audio');
    const ids = async (q: string) => (await get(`/recordings?${q}`)).json().items.map((r: Recording) => r.id);
    expect(await ids('agentId=a1')).toEqual(['r4', 'r3', 'r1']);
    expect(await ids('campaignId=c1&agentId=a1')).toEqual(['r4', 'r1']);
    expect(await ids('queueId=q1')).toEqual(['r3', 'r2']);
    expect(await ids('leadId=L9')).toEqual(['r3']);
    expect(await ids(`from=${new Date(NOW + 90_000).toISOString()}&to=${new Date(NOW + 150_000).toISOString()}`)).toEqual(['r2']);
    expect(await ids(`to=${new Date(NOW - DAY).toISOString()}`)).toEqual(['old']);
    expect((await get('/recordings?from=not-a-date')).statusCode).toBe(400);
    expect((await get('/recordings?limit=0')).statusCode).toBe(400);
  });

  it('pages with a cursor, including ties on the start time', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = (await get(`/recordings?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...res.items.map((r: Recording) => r.id));
      cursor = res.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(['r4', 'r3', 'r2', 'r1', 'old']);
    const two = (await get('/recordings?limit=2&agentId=a1')).json();
    expect(two.items.map((r: Recording) => r.id)).toEqual(['r4', 'r3']);
    expect((await get(`/recordings?limit=2&agentId=a1&cursor=${two.nextCursor}`)).json().items.map((r: Recording) => r.id)).toEqual(['r1']);
    expect((await get('/recordings?cursor=garbage')).statusCode).toBe(400);
  });

  it('serves audio whole and by Range (206, suffix, open-ended) and refuses bad ranges with 416', async () => {
    const whole = await get('/recordings/r1/audio');
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('audio/wav');
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.rawPayload.length).toBe(3244);
    expect(whole.rawPayload.subarray(0, 4).toString()).toBe('RIFF');
    const part = await get('/recordings/r1/audio', 'admin', { range: 'bytes=0-43' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 0-43/3244');
    expect(part.rawPayload.length).toBe(44);
    expect(part.rawPayload.equals(whole.rawPayload.subarray(0, 44))).toBe(true);
    const tail = await get('/recordings/r1/audio', 'supervisor', { range: 'bytes=-4' });
    expect(tail.headers['content-range']).toBe('bytes 3240-3243/3244');
    expect(tail.rawPayload.equals(whole.rawPayload.subarray(3240))).toBe(true);
    const open = await get('/recordings/r1/audio', 'supervisor', { range: 'bytes=3000-' });
    expect(open.rawPayload.length).toBe(244);
    for (const bad of ['bytes=5000-6000', 'bytes=10-5', 'items=0-1', 'bytes=0-1,5-6', 'bytes=-0']) {
      const res = await get('/recordings/r1/audio', 'supervisor', { range: bad });
      expect(res.statusCode, bad).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */3244');
    }
    expect((await get('/recordings/nope/audio')).statusCode).toBe(404);
    // the token may come in the query string (audio elements cannot send headers)
    const token = t.auth('supervisor').authorization.slice(7);
    expect((await t.app.inject(`/recordings/r2/audio?token=${token}`)).statusCode).toBe(200);
  });

  it('audit-logs every access with who and what', async () => {
    await get('/recordings/r2/audio', 'admin', { range: 'bytes=0-9' });
    const entries = await t.ctx.audit.list({ action: 'recording.audio', count: 1000 });
    expect(entries[0]).toMatchObject({ actor: 'admin-user', role: 'admin', target: 'r2', detail: { range: 'bytes=0-9', status: 206 } });
    const lists = await t.ctx.audit.list({ action: 'recording.list', count: 1000 });
    expect(lists.some((e) => (e.detail as { filter?: { agentId?: string } }).filter?.agentId === 'a1')).toBe(true);
    expect(entries.some((e) => (e.detail as { status?: number }).status === 416)).toBe(true);
  });

  it('parseRange edge cases', () => {
    expect(parseRange('bytes=0-0', 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-100', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBeUndefined();
    expect(parseRange('bytes=-', 10)).toBeUndefined();
  });

  it('enforces retention per campaign: deletes file and index, keeps the rest; policies can change', async () => {
    const r = await enforceRetention(store, new Date(NOW));
    expect(r).toEqual({ deleted: 1, failed: 0 }); // 'old' (10 days, campaign 'short' keeps 7)
    expect(await store.get('old')).toBeUndefined();
    expect(existsSync(join(dir, 'old.wav'))).toBe(false);
    expect(existsSync(join(dir, 'r1.wav'))).toBe(true);
    expect((await get('/recordings?campaignId=short')).json().items).toEqual([]);
    expect((await get('/recordings/old/audio')).statusCode).toBe(404);
    // default 30 days: nothing else expires until then
    expect((await enforceRetention(store, new Date(NOW + 29 * DAY))).deleted).toBe(0);
    await store.setCampaignRetention('c1', 1);
    expect((await store.enforceRetention(new Date(NOW + 2 * DAY))).deleted).toBe(3); // r1, r2, r4
    const left = (await get('/recordings')).json().items.map((x: Recording) => x.id);
    expect(left).toEqual(['r3']);
    expect((await store.enforceRetention(new Date(NOW + 31 * DAY))).deleted).toBe(1);
    expect((await get('/recordings')).json().items).toEqual([]);
  });
});
