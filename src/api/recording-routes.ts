import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { BadCursorError, recordingSchema, type Recording, type RecordingStore } from '../recording/recording-store.js';
import { HttpError } from './error-handler.js';

export interface RecordingRoutesOptions {
  store: RecordingStore;
  audit: AuditLog;
}

const publicRecording = recordingSchema.omit({ path: true }).extend({ audioUrl: z.string() });
const listQuery = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  agentId: z.string().min(1).optional(),
  campaignId: z.string().min(1).optional(),
  queueId: z.string().min(1).optional(),
  leadId: z.string().min(1).optional(),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const idParams = z.object({ id: z.string().min(1).max(100) });
const errorBody = z.object({ error: z.string(), message: z.string() });

const toPublic = (r: Recording) => {
  const { path: _path, ...rest } = r;
  return { ...rest, audioUrl: `/recordings/${encodeURIComponent(r.id)}/audio` };
};

/**
 * `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `size` bytes.
 * Returns undefined when the header asks for nothing we can serve (multiple ranges, malformed, out of range).
 */
export function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return undefined;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return undefined;
  return { start, end };
}

/** Recording search and audio download for supervisors and admins; every access is audit-logged. */
export const recordingRoutes: FastifyPluginAsyncZod<RecordingRoutesOptions> = async (app, { store, audit }) => {
  app.get('/recordings', {
    preHandler: app.requireRole('supervisor', 'admin'),
    schema: {
      tags: ['recordings'],
      querystring: listQuery,
      response: { 200: z.object({ items: z.array(publicRecording), nextCursor: z.string().optional() }) },
    },
  }, async (req) => {
    const { cursor, limit, ...filter } = req.query;
    let page;
    try {
      page = await store.list({ ...filter, cursor, limit });
    } catch (err) {
      if (err instanceof BadCursorError) throw new HttpError(400, 'bad_request', 'invalid cursor');
      throw err;
    }
    await audit.record(req.principal!, 'recording.list', 'recordings', {
      filter: Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
      count: page.items.length,
    });
    return { items: page.items.map(toPublic), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });

  app.get('/recordings/:id', {
    preHandler: app.requireRole('supervisor', 'admin'),
    schema: { tags: ['recordings'], params: idParams, response: { 200: publicRecording, 404: errorBody } },
  }, async (req) => {
    const r = await store.get(req.params.id);
    if (!r) throw new HttpError(404, 'not_found', `no recording ${req.params.id}`);
    await audit.record(req.principal!, 'recording.get', r.id, { callId: r.callId });
    return toPublic(r);
  });

  app.get('/recordings/:id/audio', {
    preHandler: app.requireRole('supervisor', 'admin'),
    schema: { tags: ['recordings'], params: idParams, description: 'audio/wav; supports Range (206/416)' },
  }, async (req, reply) => {
    const r = await store.get(req.params.id);
    if (!r) throw new HttpError(404, 'not_found', `no recording ${req.params.id}`);
    const size = await stat(r.path).then((s) => s.size, () => undefined);
    if (size === undefined) throw new HttpError(404, 'not_found', `audio of recording ${r.id} is gone`);
    const rangeHeader = req.headers.range;
    reply.header('Accept-Ranges', 'bytes');
    if (rangeHeader) {
      const range = parseRange(rangeHeader, size);
      if (!range) {
        await audit.record(req.principal!, 'recording.audio', r.id, { range: rangeHeader, status: 416 });
        return reply.code(416).header('Content-Range', `bytes */${size}`).send({ error: 'range_not_satisfiable', message: `cannot serve ${rangeHeader} of ${size} bytes` });
      }
      await audit.record(req.principal!, 'recording.audio', r.id, { range: rangeHeader, status: 206 });
      return reply
        .code(206)
        .type('audio/wav')
        .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
        .header('Content-Length', String(range.end - range.start + 1))
        .send(createReadStream(r.path, { start: range.start, end: range.end }));
    }
    await audit.record(req.principal!, 'recording.audio', r.id, { status: 200 });
    return reply.type('audio/wav').header('Content-Length', String(size)).send(createReadStream(r.path));
  });
};
