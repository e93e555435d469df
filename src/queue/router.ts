import type { Logger } from 'pino';
import type { AgentStateService } from '../agents/agent-state.js';
import type { AgentStore } from '../agents/agent-store.js';
import { dayOf } from '../agents/agent-time.js';
import type { AgentState } from '../agents/agent-schema.js';
import type { CallLedger, LedgerCall } from './call-ledger.js';
import type { QueueConfig } from './queue-schema.js';
import type { QueueStore } from './queue-store.js';
import { strategyFor } from './routing/index.js';
import type { RoutingAgent, RoutingDecision } from './routing/types.js';

/** How long an agent is left for another instance's call before this instance may use it. */
const DEFER_GRACE_MS = 500;

/** A call held by this instance, as the router sees it. */
export interface LocalCall {
  /** Agents that already missed this call (tried again only when nobody else is left). */
  tried: Set<string>;
  /** Reserved for this call: start ringing them. */
  offer(agents: { agentId: string; availableSince: number }[], mode: 'first' | 'all'): void;
  /** The queue has no logged-in member left and leaveWhenEmpty is set. */
  queueEmptied(): void;
}

export interface RouterOptions {
  ledger: CallLedger;
  agents: AgentStore;
  agentState: AgentStateService;
  queues: QueueStore;
  log: Logger;
  /** This instance's calls by callId. */
  localCall(callId: string): LocalCall | undefined;
  random?: () => number;
  now?: () => number;
  /** Whether the instance holding a call is alive (calls of a crashed instance are dropped, not routed). */
  instancesAlive?(ids: string[]): Promise<Set<string>>;
  /** Called with the time each strategy decision took (benchmarks). */
  onDecision?: (ms: number) => void;
  /** Called with each routing pass's duration, Redis reads and reservations included (benchmarks). */
  onPass?: (ms: number) => void;
}

/**
 * Decides which waiting call goes to which available agent, event-driven: a pass runs when a call arrives,
 * an agent becomes available, an offer fails or an owner-first deadline passes (never on a polling timer).
 *
 * Several instances run passes over the same queue. Each walks the shared waiting list in order and decides
 * for every call, but reserves only its own calls; the agent picked for another instance's call is set aside,
 * so older/higher-priority calls keep their turn. Conflicts that remain are settled by the atomic reservation.
 */
export class QueueRouter {
  private readonly running = new Map<string, boolean>();
  private readonly again = new Set<string>();
  private readonly wakeTimers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly deferredSince = new Map<string, number>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly o: RouterOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Runs a routing pass for the queue now (coalesced: a pass requested during a pass runs once after it). */
  async route(queueId: string): Promise<void> {
    if (this.closed) return;
    if (this.running.get(queueId)) {
      this.again.add(queueId);
      return;
    }
    this.running.set(queueId, true);
    try {
      do {
        this.again.delete(queueId);
        const t0 = performance.now();
        await this.pass(queueId);
        this.o.onPass?.(performance.now() - t0);
      } while (this.again.has(queueId) && !this.closed);
    } catch (err) {
      this.o.log.error({ err, queueId }, 'routing pass failed');
    } finally {
      this.running.delete(queueId);
    }
  }

  close(): void {
    this.closed = true;
    for (const w of this.wakeTimers.values()) clearTimeout(w.timer);
    this.wakeTimers.clear();
  }

  private async pass(queueId: string): Promise<void> {
    const q = await this.o.queues.get(queueId);
    if (!q) return;
    let calls = await this.o.ledger.waiting(queueId);
    if (!calls.length || !calls.some((c) => this.o.localCall(c.callId))) return;
    calls = await this.dropOrphans(queueId, calls);
    const snap = await this.snapshot(q, calls);

    if (snap.loggedIn === 0 && q.leaveWhenEmpty) {
      for (const c of calls) this.o.localCall(c.callId)?.queueEmptied();
      return;
    }

    const strategy = strategyFor(q.strategy);
    const pool = snap.available;
    let lastAgentId = snap.lastAgentId;
    let wakeAt = Infinity;
    let setAside = false;
    let localLeft = false;
    for (const call of calls) {
      if (pool.size === 0 && !call.ownerAgentId) break;
      const local = this.o.localCall(call.callId);
      let agents = [...pool.values()];
      if (local?.tried.size) {
        const fresh = agents.filter((a) => !local.tried.has(a.id));
        // everybody available already missed this call: start another round
        if (fresh.length) agents = fresh;
        else if (agents.length) local.tried.clear();
      }
      const ownerId = call.ownerAgentId;
      const owner = ownerId && !snap.taken.has(ownerId) && !local?.tried.has(ownerId) ? snap.owners.get(ownerId) ?? null : null;
      const t0 = performance.now();
      const decision: RoutingDecision = strategy.pick({
        call, queue: q, agents,
        owner,
        ownerState: ownerId ? snap.ownerStates.get(ownerId) ?? 'logged-out' : null,
        now: this.now(), lastAgentId, random: this.o.random ?? Math.random,
      });
      this.o.onDecision?.(performance.now() - t0);
      if (decision.wakeAt !== undefined) wakeAt = Math.min(wakeAt, decision.wakeAt);
      if (!decision.agentIds.length) {
        if (local) localLeft = true;
        continue;
      }
      if (!local) {
        // another instance's call: leave it the agent(s) it will reserve, unless that instance has let
        // the chance pass for a while (it knows the call's own history, e.g. that agent already missed it)
        const ids = decision.mode === 'all' ? decision.agentIds : decision.agentIds.slice(0, 1);
        if (this.stillDeferring(call.callId, ids[0])) {
          for (const id of ids) this.take(snap, id);
          setAside = true;
        }
        continue;
      }
      const reserved = await this.o.ledger.reserve({
        callId: call.callId, queueId, agentIds: decision.agentIds, mode: decision.mode, now: this.now(),
        stateKey: (id) => this.o.agentState.stateKey(id), availableKey: this.o.agentState.availableKey,
        totalsKey: (id, day) => this.o.agentState.totalsKey(id, day),
      });
      if (reserved === 'gone') continue;
      if (!reserved.length) {
        // all candidates were taken by another instance meanwhile: decide again with fresh data
        for (const id of decision.agentIds) this.take(snap, id);
        this.again.add(queueId);
        continue;
      }
      for (const r of reserved) this.take(snap, r.agentId);
      snap.reservedCalls.add(call.callId);
      lastAgentId = reserved[0].agentId;
      if (q.strategy === 'round-robin') await this.o.queues.setLastOffered(queueId, lastAgentId);
      local.offer(reserved, decision.mode);
    }
    if (pool.size === 0) localLeft ||= calls.some((c) => this.o.localCall(c.callId) && !snap.reservedCalls.has(c.callId));
    // an agent set aside for another instance's call must not idle while our caller waits: look again
    // after the grace period if that instance has not taken it by then
    if (setAside && localLeft) wakeAt = Math.min(wakeAt, this.now() + DEFER_GRACE_MS + 10);
    this.scheduleWake(queueId, wakeAt);
  }

  /** Calls held by an instance that stopped heart-beating would hold agents forever: take them out. */
  private async dropOrphans(queueId: string, calls: LedgerCall[]): Promise<LedgerCall[]> {
    if (!this.o.instancesAlive) return calls;
    const remote = [...new Set(calls.filter((c) => !this.o.localCall(c.callId)).map((c) => c.instance))];
    if (!remote.length) return calls;
    const alive = await this.o.instancesAlive(remote);
    const out: LedgerCall[] = [];
    for (const c of calls) {
      if (this.o.localCall(c.callId) || alive.has(c.instance)) out.push(c);
      else if (await this.o.ledger.leave(queueId, c.callId, 'lost')) this.o.log.warn({ callId: c.callId, instance: c.instance }, 'dropped a call whose instance is gone');
    }
    return out;
  }

  /** First time this pass-to-pass deferral was seen; true while within the grace period. */
  private stillDeferring(callId: string, agentId: string): boolean {
    const key = `${callId}>${agentId}`;
    const now = this.now();
    const first = this.deferredSince.get(key);
    if (first === undefined) {
      if (this.deferredSince.size > 10_000) this.deferredSince.clear();
      this.deferredSince.set(key, now);
      return true;
    }
    return now - first < DEFER_GRACE_MS;
  }

  private take(snap: Snapshot, id: string): void {
    snap.available.delete(id);
    snap.taken.add(id);
  }

  private scheduleWake(queueId: string, at: number): void {
    const cur = this.wakeTimers.get(queueId);
    if (!Number.isFinite(at)) return;
    if (cur && cur.at <= at) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      this.wakeTimers.delete(queueId);
      void this.route(queueId);
    }, Math.max(0, at - this.now()) + 5);
    timer.unref?.();
    this.wakeTimers.set(queueId, { at, timer });
  }

  /** Available members (and owners of waiting calls), with what the strategy needs, in a few round trips. */
  private async snapshot(q: QueueConfig, calls: LedgerCall[]): Promise<Snapshot> {
    const ownerIds = [...new Set(calls.map((c) => c.ownerAgentId).filter((x): x is string => !!x))];
    // available agents come from the shared available-since index (kept by the Lua scripts), not from
    // reading every member's state: a pass costs a few replies whatever the queue's size
    const [members, availableSince, ownerStatus, lastAgentId] = await Promise.all([
      this.o.agents.members(q.id),
      this.o.agentState.availableSince(),
      this.o.agentState.getMany(ownerIds),
      q.strategy === 'round-robin' ? this.o.queues.lastOffered(q.id) : Promise.resolve(null),
    ]);
    const memberIds = new Set(members);
    const ownerSet = new Set(ownerIds);
    // sorted: every instance walks agents in the same order, so random/ties decide alike
    const availIds = [...availableSince.keys()].filter((id) => memberIds.has(id) || ownerSet.has(id)).sort();
    const [configs, totals, memberStates] = await Promise.all([
      wants(q, 'needsSkills') ? this.o.agents.getMany(availIds) : Promise.resolve(null),
      wants(q, 'needsDailyTotals') ? this.o.agentState.todayCallsAndTalk(availIds, dayOf(this.now())) : Promise.resolve(null),
      q.leaveWhenEmpty ? this.o.agentState.statesOf(members) : Promise.resolve(null),
    ]);
    const available = new Map<string, RoutingAgent>();
    const owners = new Map<string, RoutingAgent>();
    const ownerStates = new Map<string, AgentState>(ownerStatus.map((s) => [s.agentId, s.state]));
    for (const id of availIds) {
      const t = totals?.get(id);
      const ra: RoutingAgent = { id, availableSince: availableSince.get(id)!, skills: configs?.get(id)?.skills ?? {}, callsToday: t?.calls ?? 0, talkMsToday: t?.talkMs ?? 0 };
      if (memberIds.has(id)) available.set(id, ra);
      if (ownerSet.has(id)) owners.set(id, ra);
    }
    const loggedIn = memberStates ? memberStates.filter((s) => s !== 'logged-out').length : members.length;
    return { memberIds, available, owners, ownerStates, lastAgentId, loggedIn, taken: new Set(), reservedCalls: new Set() };
  }

}

interface Snapshot {
  memberIds: Set<string>;
  /** Available members still unclaimed in this pass. */
  available: Map<string, RoutingAgent>;
  owners: Map<string, RoutingAgent>;
  ownerStates: Map<string, AgentState>;
  lastAgentId: string | null;
  loggedIn: number;
  /** Claimed in this pass (by a reservation or set aside for another instance's call). */
  taken: Set<string>;
  reservedCalls: Set<string>;
}

/** Whether the queue's strategy (or owner-first's fallback) needs that part of the snapshot. */
function wants(q: QueueConfig, what: 'needsDailyTotals' | 'needsSkills'): boolean {
  return !!strategyFor(q.strategy)[what] || (q.strategy === 'owner-first' && !!strategyFor(q.fallbackStrategy)[what]);
}
