import type { Flow } from './flow-schema.js';
import type { StoredFlow } from './ivr-store.js';
import { parseFlow } from './validate-flow.js';

/**
 * Parsed flows by id + version: validating a flow costs about a millisecond of CPU, so a busy DID
 * router validates each stored version once instead of on every call. Small and bounded (oldest out).
 */
export class FlowCache {
  private readonly flows = new Map<string, Flow>();
  constructor(private readonly max = 200) {}

  get(stored: StoredFlow): Flow {
    const key = `${stored.id}@${stored.version}@${stored.updatedAt}`;
    let f = this.flows.get(key);
    if (!f) {
      f = parseFlow(stored);
      if (this.flows.size >= this.max) this.flows.delete(this.flows.keys().next().value!);
      this.flows.set(key, f);
    }
    return f;
  }
}
