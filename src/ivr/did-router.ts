import type { CallChannel } from '../calls/call-channel.js';
import type { CallHandler, DidRouter } from '../calls/inbound-router.js';
import { callLogger } from '../logger.js';
import { FlowCache } from './flow-cache.js';
import type { IvrStore } from './ivr-store.js';
import { runFlow, type IvrResult } from './session.js';
import type { IvrDeps } from './task.js';

export interface IvrDidRouterOptions {
  store: IvrStore;
  /** Session services; calendars default to the store. */
  deps: IvrDeps;
  /** Gets every finished session (call records, screen pops). */
  onResult?: (result: IvrResult, call: CallChannel) => void | Promise<void>;
}

/** Inbound calls: DID -> stored flow -> runFlow. Numbers without a flow get null (the router answers 404). */
export class IvrDidRouter implements DidRouter {
  private readonly cache = new FlowCache();
  constructor(private readonly o: IvrDidRouterOptions) {}

  async handlerFor(did: string): Promise<CallHandler | null> {
    const stored = await this.o.store.flowForNumber(did);
    if (!stored) return null;
    const deps: IvrDeps = { ...this.o.deps, calendars: this.o.deps.calendars ?? this.o.store };
    return async (call) => {
      try {
        const result = await runFlow(this.cache.get(stored), call, deps);
        await this.o.onResult?.(result, call);
      } catch (err) {
        // Only a stored flow that no longer validates (schema change) gets here: never leave the caller in silence.
        callLogger(deps.log, call.callId, { flowId: stored.id }).error({ err }, 'ivr flow could not run');
        if (!call.ended) await call.hangup().catch(() => undefined);
      }
    };
  }
}
