import type { Logger } from 'pino';
import type { Principal } from '../auth/roles.js';
import type { BusEvent, BusListener } from '../events/bus.js';
import { TransitionError, UnknownPauseCodeError, type AgentTransition } from '../agents/agent-state.js';
import type { RequestableState } from '../agents/agent-schema.js';
import { clientMessageSchema, type ClientMessage, type ServerMessage } from './protocol.js';
import { maskEvent } from './mask.js';

/** The part of a ws WebSocket the gateway uses. */
export interface SocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', l: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'close', l: () => void): unknown;
}

export interface GatewayOptions {
  bus: { onEvent(l: BusListener): Promise<() => void> };
  agentState: {
    request(agentId: string, state: RequestableState, reason?: string): Promise<AgentTransition>;
    get(agentId: string): Promise<{ state: string; since: number; reason?: string }>;
  };
  stats: { stats(queueId: string): Promise<{ [k: string]: unknown }> };
  /** Every queue id, for supervisors subscribed to all queues ('*'). */
  queueIds?: () => Promise<string[]>;
  log: Logger;
  /** Live stats refresh for subscribed queues (ms); the figures are never older than this. */
  statsIntervalMs?: number;
  /** Coalescing delay after an event before stats are recomputed. */
  statsDebounceMs?: number;
}

interface Client {
  socket: SocketLike;
  principal: Principal;
  queues: Set<string>;
}

const OPEN = 1;
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const ALL = '*';

/**
 * Delivers bus events to this instance's sockets. Every instance runs one and hears every other instance's
 * events through the bus (Redis pub/sub), so an agent or supervisor may be connected anywhere.
 * Agents get their own topic (offers, answers, ends, state changes), masked; supervisors subscribe to queues
 * and get every event of those queues and their agents, plus live stats at most statsIntervalMs old.
 */
export class WsGateway {
  private readonly byAgent = new Map<string, Set<Client>>();
  private readonly byQueue = new Map<string, Set<Client>>();
  private readonly statsTimers = new Map<string, NodeJS.Timeout>();
  private readonly lastStats = new Map<string, string>();
  private tick?: NodeJS.Timeout;
  private offBus?: () => void;

  constructor(private readonly o: GatewayOptions) {}

  async start(): Promise<void> {
    this.offBus = await this.o.bus.onEvent((topic, ev) => this.onBusEvent(topic, ev));
    this.tick = setInterval(() => void this.refreshAll(), this.o.statsIntervalMs ?? 1000);
    this.tick.unref?.();
  }

  close(): void {
    this.offBus?.();
    if (this.tick) clearInterval(this.tick);
    for (const t of this.statsTimers.values()) clearTimeout(t);
    this.statsTimers.clear();
  }

  get connections(): number {
    let n = 0;
    for (const s of this.byAgent.values()) n += s.size;
    return n;
  }

  /** Adopts an authenticated socket. */
  attach(socket: SocketLike, principal: Principal): void {
    const client: Client = { socket, principal, queues: new Set() };
    if (principal.agentId) this.index(this.byAgent, principal.agentId, client);
    socket.on('message', (data) => void this.onMessage(client, data));
    socket.on('close', () => this.detach(client));
    void this.hello(client);
  }

  /** Greets with the agent's current state, so a reconnecting softphone UI starts from the truth. */
  private async hello(c: Client): Promise<void> {
    const { role, agentId } = c.principal;
    let status: { state: string; since: number; reason?: string } | undefined;
    if (agentId) status = await this.o.agentState.get(agentId).catch(() => undefined);
    this.send(c, { type: 'hello', role, ...(agentId ? { agentId } : {}), ...(status ? { status } : {}) });
  }

  private detach(c: Client): void {
    if (c.principal.agentId) this.unindex(this.byAgent, c.principal.agentId, c);
    for (const q of c.queues) this.unindex(this.byQueue, q, c);
  }

  private index(m: Map<string, Set<Client>>, k: string, c: Client): void {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    s.add(c);
  }

  private unindex(m: Map<string, Set<Client>>, k: string, c: Client): void {
    const s = m.get(k);
    if (!s) return;
    s.delete(c);
    if (!s.size) m.delete(k);
  }

  private send(c: Client, msg: ServerMessage | string): void {
    if (c.socket.readyState !== OPEN) return;
    // a client that stopped reading must not grow this process's memory without bound
    if (c.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.o.log.warn({ sub: c.principal.sub }, 'closing a WebSocket that does not keep up');
      c.socket.close(1013, 'too slow');
      return;
    }
    c.socket.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  private async onMessage(c: Client, data: Buffer | ArrayBuffer | Buffer[]): Promise<void> {
    let msg: ClientMessage;
    try {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      const parsed = clientMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return this.send(c, { type: 'error', error: 'bad_request', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      msg = parsed.data;
    } catch {
      return this.send(c, { type: 'error', error: 'bad_request', message: 'not JSON' });
    }
    const p = c.principal;
    switch (msg.type) {
      case 'ping':
        return this.send(c, { type: 'ack', id: msg.id, pong: true });
      case 'state': {
        const agentId = msg.agentId ?? p.agentId;
        if (!agentId) return this.send(c, { type: 'error', id: msg.id, error: 'bad_request', message: 'agentId required' });
        if (p.role === 'agent' && agentId !== p.agentId) return this.send(c, { type: 'error', id: msg.id, error: 'forbidden', message: 'agents change only their own state' });
        try {
          const t = await this.o.agentState.request(agentId, msg.state, msg.reason);
          return this.send(c, { type: 'ack', id: msg.id, agentId, state: t.state, prev: t.prev });
        } catch (err) {
          if (err instanceof TransitionError) return this.send(c, { type: 'error', id: msg.id, error: 'conflict', message: err.message });
          if (err instanceof UnknownPauseCodeError) return this.send(c, { type: 'error', id: msg.id, error: 'bad_request', message: err.message });
          this.o.log.error({ err, agentId }, 'state change over WebSocket failed');
          return this.send(c, { type: 'error', id: msg.id, error: 'internal', message: 'state change failed' });
        }
      }
      case 'subscribe':
      case 'unsubscribe': {
        if (p.role !== 'supervisor' && p.role !== 'admin') {
          return this.send(c, { type: 'error', id: msg.id, error: 'forbidden', message: 'queue subscriptions are for supervisors' });
        }
        for (const q of msg.queues) {
          if (msg.type === 'subscribe') {
            c.queues.add(q);
            this.index(this.byQueue, q, c);
          } else {
            c.queues.delete(q);
            this.unindex(this.byQueue, q, c);
          }
        }
        this.send(c, { type: 'ack', id: msg.id, queues: [...c.queues] });
        if (msg.type === 'subscribe') {
          const initial = msg.queues.includes(ALL) && this.o.queueIds ? await this.o.queueIds().catch(() => []) : msg.queues.filter((q) => q !== ALL);
          for (const q of initial) void this.pushStats(q, c);
        }
        return;
      }
    }
  }

  /** Routing by topic: agent:<id> to that agent and to supervisors of the agent's queues; queue:<q> to its supervisors. */
  onBusEvent(topic: string, ev: BusEvent): void {
    const supervisors = new Set<Client>(this.byQueue.get(ALL) ?? []);
    let queues: string[] = [];
    if (topic.startsWith('agent:')) {
      const agentId = topic.slice(6);
      const own = this.byAgent.get(agentId);
      if (own?.size) {
        let masked: string | undefined;
        let plain: string | undefined;
        for (const c of own) {
          if (c.principal.role === 'agent') this.send(c, (masked ??= JSON.stringify({ type: 'event', topic, event: maskEvent(ev, 'agent') })));
          else this.send(c, (plain ??= JSON.stringify({ type: 'event', topic, event: ev })));
        }
      }
      queues = Array.isArray(ev.queues) ? (ev.queues as string[]) : typeof ev.queueId === 'string' ? [ev.queueId] : [];
    } else if (topic.startsWith('queue:')) {
      queues = [topic.slice(6)];
    } else {
      return;
    }
    for (const q of queues) for (const c of this.byQueue.get(q) ?? []) supervisors.add(c);
    if (supervisors.size) {
      const frame = JSON.stringify({ type: 'event', topic, event: ev });
      for (const c of supervisors) this.send(c, frame);
    }
    for (const q of queues) if (this.byQueue.has(q) || this.byQueue.has(ALL)) this.scheduleStats(q);
  }

  /** The queues someone watches: those subscribed by name, and every queue when someone subscribed to '*'. */
  private async watchedQueues(): Promise<string[]> {
    const named = [...this.byQueue.keys()].filter((q) => q !== ALL);
    if (!this.byQueue.has(ALL) || !this.o.queueIds) return named;
    return [...new Set([...named, ...(await this.o.queueIds())])];
  }

  private async refreshAll(): Promise<void> {
    try {
      for (const q of await this.watchedQueues()) void this.pushStats(q);
    } catch (err) {
      this.o.log.warn({ err }, 'stats refresh failed');
    }
  }

  private scheduleStats(queueId: string): void {
    if (this.statsTimers.has(queueId)) return;
    const t = setTimeout(() => {
      this.statsTimers.delete(queueId);
      void this.pushStats(queueId);
    }, this.o.statsDebounceMs ?? 150);
    this.statsTimers.set(queueId, t);
  }

  /** Recomputes a queue's figures and sends them to its subscribers when they changed (or to one new subscriber). */
  private async pushStats(queueId: string, only?: Client): Promise<void> {
    try {
      const stats = await this.o.stats.stats(queueId);
      const { at: _at, ...comparable } = stats;
      const key = JSON.stringify(comparable);
      const frame = JSON.stringify({ type: 'stats', queueId, stats });
      if (only) return this.send(only, frame);
      if (this.lastStats.get(queueId) === key) return;
      this.lastStats.set(queueId, key);
      for (const c of this.byQueue.get(queueId) ?? []) this.send(c, frame);
      for (const c of this.byQueue.get(ALL) ?? []) if (!c.queues.has(queueId)) this.send(c, frame);
    } catch (err) {
      this.o.log.warn({ err, queueId }, 'queue stats failed');
    }
  }
}
