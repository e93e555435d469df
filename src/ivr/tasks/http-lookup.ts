import { renderTemplate, renderUrl, type Vars } from '../template.js';
import { failTo, type Task } from '../task.js';

const MAX_BODY_BYTES = 64 * 1024;
const MAX_FIELDS = 200;

/**
 * Calls a webhook (policy lookup, staff performance...) and stores its JSON answer as variables
 * `<as>.<field>`. Timeout, network error, non-2xx or a non-JSON answer -> `<as>.ok` = 'false',
 * `<as>.error` says why, and the flow continues at onFailure. A caller hangup aborts the request.
 */
export const httpLookupTask: Task<'http-lookup'> = {
  kind: 'http-lookup',
  async run(node, ctx) {
    const url = renderUrl(node.url, ctx.vars);
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(node.headers ?? {})) headers[k] = renderTemplate(v, ctx.vars);
    let body: string | undefined;
    if (node.body) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(Object.fromEntries(Object.entries(node.body).map(([k, v]) => [k, renderTemplate(v, ctx.vars)])));
    }
    const doFetch = ctx.deps.fetch ?? fetch;
    const started = performance.now();
    // Query strings may carry policy numbers: log the endpoint only.
    const where = safeEndpoint(url);
    const fail = (reason: string) => {
      ctx.vars[`${node.as}.ok`] = 'false';
      ctx.vars[`${node.as}.error`] = reason;
      ctx.trace.result = reason;
      ctx.log.warn({ endpoint: where, reason, ms: Math.round(performance.now() - started) }, 'ivr http lookup failed');
      return failTo(node.onFailure, `http lookup ${where}: ${reason}`);
    };
    if (!/^https?:\/\//.test(url)) return fail('url is not http(s)');
    let status: number;
    let text: string;
    try {
      const res = await doFetch(url, {
        method: node.method,
        headers,
        body: node.method === 'POST' ? body : undefined,
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(node.timeoutMs)]),
        redirect: 'error',
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (ctx.signal.aborted) return { end: 'caller-hangup' };
      const e = err as Error;
      return fail(e.name === 'TimeoutError' ? `timeout after ${node.timeoutMs} ms` : `network error: ${e.message}`);
    }
    if (status < 200 || status > 299) return fail(`http ${status}`);
    if (Buffer.byteLength(text) > MAX_BODY_BYTES) return fail('answer too large');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return fail('answer is not JSON');
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return fail('answer is not a JSON object');
    // Stale fields from an earlier lookup with the same prefix must not survive.
    for (const k of Object.keys(ctx.vars)) if (k.startsWith(`${node.as}.`)) delete ctx.vars[k];
    flatten(data as Record<string, unknown>, `${node.as}.`, ctx.vars, { left: MAX_FIELDS }, 0);
    ctx.vars[`${node.as}.ok`] = 'true';
    ctx.trace.result = `http ${status}`;
    ctx.log.info({ endpoint: where, status, ms: Math.round(performance.now() - started) }, 'ivr http lookup');
    return { next: node.next };
  },
};

function flatten(o: Record<string, unknown>, prefix: string, out: Vars, budget: { left: number }, depth: number): void {
  for (const [k, v] of Object.entries(o)) {
    if (budget.left <= 0) return;
    const name = `${prefix}${k}`;
    if (v !== null && typeof v === 'object' && depth < 4) {
      flatten(v as Record<string, unknown>, `${name}.`, out, budget, depth + 1);
      continue;
    }
    out[name] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    budget.left--;
  }
}

function safeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
