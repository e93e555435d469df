import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ivrRoutes } from '../../../src/api/ivr-routes.js';
import { IvrDidRouter } from '../../../src/ivr/did-router.js';
import { IvrStore } from '../../../src/ivr/ivr-store.js';
import { testApp, type TestApp } from '../../support/app.js';
import { FakeChannel } from '../ivr/fakes.js';
import { mkDeps } from '../ivr/helpers.js';

const exampleFlow = JSON.parse(readFileSync('docs/ivr-example-flow.json', 'utf8')) as Record<string, unknown>;
const exampleCalendar = JSON.parse(readFileSync('docs/ivr-example-calendar.json', 'utf8')) as Record<string, unknown>;
const simpleFlow = (id: string) => ({ id, name: `flow ${id}`, start: 'hi', nodes: { hi: { kind: 'play', prompts: ['welcome'], next: 'bye' }, bye: { kind: 'hangup' } } });

describe('IVR API: flows, numbers, calendars', () => {
  let t: TestApp;
  let store: IvrStore;
  beforeAll(async () => {
    t = await testApp((ctx) => {
      store = new IvrStore(ctx.redis, ctx.keys);
      // Recordings exist for every key except 'welcome' in Mandarin.
      const prompts = { has: (key: string, lang: string) => !(key === 'welcome' && lang === 'zh') };
      return [{ name: 'ivr', plugin: async (app) => app.register(ivrRoutes, { store, audit: ctx.audit, prompts }) }];
    });
  });
  afterAll(async () => t.close());

  const admin = () => t.auth('admin');
  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers = admin()) =>
    t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });

  it('a flow that references an unknown calendar is refused, then saved once the calendar exists', async () => {
    const early = await inject('POST', '/ivr/flows', exampleFlow);
    expect(early.statusCode).toBe(400);
    expect(early.json().problems).toContainEqual({ node: 'hours', field: 'rules[0].when.calendar', message: "unknown calendar 'cc-hours'" });

    expect((await inject('POST', '/ivr/calendars', exampleCalendar)).statusCode).toBe(201);
    const res = await inject('POST', '/ivr/flows', exampleFlow);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ id: 'insurance-main', version: 1 });
    expect((await inject('POST', '/ivr/flows', exampleFlow)).statusCode).toBe(409);

    const entries = await t.ctx.audit.list({ action: 'ivr.flow.create' });
    expect(entries[0]).toMatchObject({ actor: 'admin-user', target: 'insurance-main' });
  });

  it('400 names the node and what is wrong, with the zod issues', async () => {
    const bad = {
      id: 'broken', name: 'broken', start: 'm',
      nodes: {
        m: { kind: 'menu', prompts: ['x'], choices: [{ key: '1', next: 'ghost' }] },
        lost: { kind: 'hangup' },
        g: { kind: 'gather', var: 'x', min: 9, max: 3, next: 'm' },
      },
    };
    const schemaErr = await inject('POST', '/ivr/flows', bad);
    expect(schemaErr.statusCode).toBe(400);
    const body = schemaErr.json();
    expect(body.error).toBe('bad_request');
    expect(body.problems).toContainEqual({ node: 'g', field: 'min', message: 'min (9) is greater than max (3)' });
    expect(body.issues[0]).toMatchObject({ path: ['nodes', 'g', 'min'] });

    const { g: _g, ...nodes } = bad.nodes;
    const graphErr = await inject('POST', '/ivr/flows', { ...bad, nodes });
    expect(graphErr.statusCode).toBe(400);
    expect(graphErr.json().problems).toEqual([
      { node: 'm', field: 'choices[0].next', message: "goes to unknown node 'ghost'" },
      { node: 'lost', message: 'is unreachable from the start node' },
    ]);
    expect(graphErr.json().message).toContain("node 'm' choices[0].next: goes to unknown node 'ghost'");

    const dry = await inject('POST', '/ivr/flows/validate', { ...bad, nodes }, t.auth('supervisor'));
    expect(dry.statusCode).toBe(200);
    expect(dry.json().ok).toBe(false);
    expect(dry.json().problems).toHaveLength(2);
    expect((await inject('GET', '/ivr/flows/broken')).statusCode).toBe(404);

    const good = await inject('POST', '/ivr/flows/validate', exampleFlow, t.auth('supervisor'));
    expect(good.json()).toEqual({ ok: true, problems: [], warnings: [{ node: 'language', field: 'prompts[0]', message: "no prompt 'welcome' for zh" }] });
  });

  it('roles: admins write, supervisors read, agents get 403', async () => {
    expect((await inject('POST', '/ivr/flows', simpleFlow('sup-try'), t.auth('supervisor'))).statusCode).toBe(403);
    expect((await inject('GET', '/ivr/flows', undefined, t.auth('agent', 'a1'))).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/ivr/flows' })).statusCode).toBe(401);
    const list = await inject('GET', '/ivr/flows', undefined, t.auth('supervisor'));
    expect(list.statusCode).toBe(200);
    expect(list.json().map((f: { id: string }) => f.id)).toContain('insurance-main');
  });

  it('PUT replaces a flow and bumps its version; id mismatch is 409, unknown id 404', async () => {
    expect((await inject('POST', '/ivr/flows', simpleFlow('upd'))).statusCode).toBe(201);
    const changed = { ...simpleFlow('upd'), name: 'renamed', lang: 'zh' };
    const put = await inject('PUT', '/ivr/flows/upd', changed);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ name: 'renamed', lang: 'zh', version: 2 });
    expect((await inject('GET', '/ivr/flows/upd', undefined, t.auth('supervisor'))).json().name).toBe('renamed');
    expect((await inject('PUT', '/ivr/flows/upd', simpleFlow('other'))).statusCode).toBe(409);
    expect((await inject('PUT', '/ivr/flows/nope', simpleFlow('nope'))).statusCode).toBe(404);
    const badPut = await inject('PUT', '/ivr/flows/upd', { ...changed, start: 'missing' });
    expect(badPut.statusCode).toBe(400);
    expect(badPut.json().problems[0]).toMatchObject({ field: 'start' });
  });

  it('numbers map DIDs to flows; a flow in use cannot be deleted', async () => {
    expect((await inject('PUT', '/ivr/numbers/+862140001000', { flowId: 'no-such-flow' })).statusCode).toBe(404);
    const set = await inject('PUT', '/ivr/numbers/+862140001000', { flowId: 'insurance-main' });
    expect(set.statusCode).toBe(200);
    expect((await inject('GET', '/ivr/numbers', undefined, t.auth('supervisor'))).json()).toContainEqual({ did: '+862140001000', flowId: 'insurance-main' });
    const del = await inject('DELETE', '/ivr/flows/insurance-main');
    expect(del.statusCode).toBe(409);
    expect(del.json().message).toContain('+862140001000');
    expect((await inject('DELETE', '/ivr/calendars/cc-hours')).statusCode).toBe(409);
    expect((await inject('PUT', '/ivr/numbers/bad did', { flowId: 'insurance-main' })).statusCode).toBe(400);
  });

  it('calendars: validated bodies, get/put/delete', async () => {
    const bad = await inject('POST', '/ivr/calendars', { id: 'c2', name: 'x', timeZone: 'Nowhere/City', weekly: {} });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json().issues)).toContain('unknown IANA time zone');
    const cal = { id: 'c2', name: 'HK', timeZone: 'Asia/Hong_Kong', weekly: { mon: [{ open: '09:00', close: '17:00' }] } };
    expect((await inject('POST', '/ivr/calendars', cal)).statusCode).toBe(201);
    const got = await inject('GET', '/ivr/calendars/c2', undefined, t.auth('supervisor'));
    expect(got.json()).toMatchObject({ timeZone: 'Asia/Hong_Kong', weekly: { mon: [{ open: '09:00', close: '17:00' }], tue: [] }, holidays: [] });
    const put = await inject('PUT', '/ivr/calendars/c2', { ...cal, holidays: [{ date: '12-25', name: 'Christmas' }] });
    expect(put.json().holidays).toEqual([{ date: '12-25', name: 'Christmas' }]);
    expect((await inject('DELETE', '/ivr/calendars/c2')).statusCode).toBe(204);
    expect((await inject('GET', '/ivr/calendars/c2')).statusCode).toBe(404);
  });

  it('the DID router runs the stored flow for a dialled number (with or without +)', async () => {
    expect((await inject('PUT', '/ivr/numbers/4008001234', { flowId: 'upd' })).statusCode).toBe(200);
    const router = new IvrDidRouter({ store, deps: mkDeps() });
    expect(await router.handlerFor('+999')).toBeNull();
    const handler = await router.handlerFor('+4008001234');
    expect(handler).toBeTypeOf('function');
    const ch = new FakeChannel();
    await handler!(ch);
    expect(ch.files).toEqual(['zh/welcome.wav']);
    expect(ch.ended).toBe(true);

    // A new version is picked up by the next call (parsed flows are cached per id + version).
    const v3 = { ...simpleFlow('upd'), nodes: { hi: { kind: 'play', prompts: ['welcome-v3'], next: 'bye' }, bye: { kind: 'hangup' } } };
    expect((await inject('PUT', '/ivr/flows/upd', v3)).json().version).toBe(3);
    const ch3 = new FakeChannel();
    await (await router.handlerFor('4008001234'))!(ch3);
    expect(ch3.files).toEqual(['en/welcome-v3.wav']);

    expect((await inject('DELETE', '/ivr/numbers/4008001234')).statusCode).toBe(204);
    expect((await inject('DELETE', '/ivr/numbers/4008001234')).statusCode).toBe(404);
    expect((await inject('DELETE', '/ivr/flows/upd')).statusCode).toBe(204);
  });

  it('is documented in the OpenAPI spec', async () => {
    const paths = Object.keys((await t.app.inject('/docs/json')).json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/ivr/flows', '/ivr/flows/{id}', '/ivr/numbers/{did}', '/ivr/calendars']));
  });
});
