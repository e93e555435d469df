import type { CallChannel, PlayOptions, PromptFile } from '../calls/call-channel.js';
import { callLogger } from '../logger.js';
import type { Flow, FlowInput, FlowNode } from './flow-schema.js';
import type { IvrLanguage } from './ports.js';
import { defaultTasks, type TaskRegistry } from './registry.js';
import type { IvrDeps, SessionOutcome, Task, TaskContext, TaskResult, TraceEntry } from './task.js';
import { renderTemplate, type Vars } from './template.js';
import { parseFlow } from './validate-flow.js';

export interface RunOptions {
  /** Extra initial variables (e.g. leadId for an outbound reminder); win over the flow's vars. */
  vars?: Vars;
  /** Overrides the flow's language. */
  lang?: IvrLanguage;
  /** Replaces task implementations (tests, custom kinds). */
  tasks?: Partial<TaskRegistry>;
}

/** What the session leaves behind: for the screen pop, the call record and the tests. */
export interface IvrResult {
  callId: string;
  flowId: string;
  outcome: SessionOutcome;
  /** Agent id (queued) or target (transferred), or the error text. */
  detail?: string;
  /** Node ids in the order they ran. */
  path: string[];
  trace: TraceEntry[];
  vars: Vars;
  lang: IvrLanguage;
  steps: number;
  startedAt: string;
  durationMs: number;
}

/** Flows already validated, by object identity (flows are treated as immutable once handed to runFlow). */
const validated = new WeakMap<object, Flow>();

function prepared(input: Flow | FlowInput | Record<string, unknown>): Flow {
  const known = validated.get(input);
  if (known) return known;
  const flow = parseFlow(input);
  validated.set(input, flow).set(flow, flow);
  return flow;
}

/** Unhandled failures routed to onError per session; one more hangs up (stops error -> onError loops). */
const MAX_ERROR_REDIRECTS = 3;
const HANGUP = Symbol('hangup');

/**
 * Runs a flow on a call until it hangs up, is handed over (queue/transfer) or fails. Every step checks
 * for caller hangup; a hangup while a task waits ends the session at once (the task's promise is
 * abandoned and its waits aborted via ctx.signal). Thrown errors and failures without a target go to the
 * flow's onError node, else the error prompt plays and the call is hung up.
 * The flow is (re)validated first (a JSON document is fine); an invalid flow throws FlowValidationError.
 */
export async function runFlow(flowInput: Flow | FlowInput | Record<string, unknown>, call: CallChannel, deps: IvrDeps, opts: RunOptions = {}): Promise<IvrResult> {
  const flow = prepared(flowInput);
  const tasks: TaskRegistry = { ...defaultTasks, ...opts.tasks } as TaskRegistry;
  const log = callLogger(deps.log, call.callId, { flowId: flow.id });
  const now = deps.now ?? (() => new Date());
  const started = performance.now();
  const startedAt = now();
  const maxSteps = Math.min(flow.maxSteps, deps.maxSteps ?? Infinity);

  const vars: Vars = {
    ...flow.vars,
    caller: call.remoteNumber,
    did: call.localNumber,
    callId: call.callId,
    direction: call.direction,
    ...opts.vars,
  };
  let lang: IvrLanguage = opts.lang ?? flow.lang;
  vars.lang = lang;
  const trace: TraceEntry[] = [];
  const secretVars = new Set(Object.values(flow.nodes).flatMap((n) => (n.kind === 'gather' && n.secret ? [n.var] : [])));
  const publicVars = (): Vars => Object.fromEntries(Object.entries(vars).filter(([k]) => !secretVars.has(k)));

  const abort = new AbortController();
  // 'remote' = the caller left; 'local' = we (a hangup task, or call control) ended the call.
  let hangupBy: 'remote' | 'local' = 'remote';
  let onHangup!: (by?: 'remote' | 'local') => void;
  const hungUp = new Promise<typeof HANGUP>((resolve) => {
    onHangup = (by) => {
      if (by === 'local') hangupBy = 'local';
      abort.abort(new Error('call ended'));
      resolve(HANGUP);
    };
  });
  const endedOutcome = (): SessionOutcome => (hangupBy === 'local' ? 'hangup' : 'caller-hangup');
  call.once('hangup', onHangup);
  if (call.ended) onHangup();

  const play = async (files: PromptFile[], o?: PlayOptions) => {
    if (!files.length || call.ended) return { interrupted: false };
    return call.play(files, o);
  };
  const prompts = (keys: string[]) => keys.map((k) => deps.prompts.file(k, lang));

  log.info({ flowName: flow.name, caller: call.remoteNumber, did: call.localNumber, lang }, 'ivr session start');
  void publish(deps, log, { type: 'ivr.started', callId: call.callId, flowId: flow.id, did: call.localNumber });

  let outcome: SessionOutcome | undefined;
  let detail: string | undefined;
  let current = flow.start;
  let steps = 0;
  let errors = 0;

  const politeHangup = async (why: SessionOutcome, text: string) => {
    outcome = why;
    detail = text;
    try {
      await Promise.race([play(prompts(deps.errorPrompts ?? ['goodbye'])), hungUp]);
    } catch (err) {
      log.warn({ err }, 'ivr error prompt failed');
    }
    try {
      if (!call.ended) await call.hangup();
    } catch (err) {
      log.warn({ err }, 'ivr hangup failed');
    }
  };

  try {
    while (outcome === undefined) {
      if (call.ended) {
        outcome = endedOutcome();
        break;
      }
      if (steps >= maxSteps) {
        log.warn({ steps, node: current }, 'ivr step limit reached, hanging up');
        await politeHangup('max-steps', `step limit ${maxSteps} reached at node '${current}'`);
        break;
      }
      steps++;
      const node: FlowNode = flow.nodes[current];
      const entry: TraceEntry = { node: current, kind: node.kind, atMs: Math.round(performance.now() - started) };
      trace.push(entry);
      const nodeLog = log.child({ node: current, kind: node.kind });
      const ctx: TaskContext = {
        call, flow, nodeId: current, vars, deps, log: nodeLog, signal: abort.signal, trace: entry, history: trace,
        get lang() { return lang; },
        set lang(l: IvrLanguage) { lang = l; vars.lang = l; },
        prompts,
        render: (t) => renderTemplate(t, vars),
        publicVars,
        play,
        now,
      };

      let r: TaskResult | typeof HANGUP;
      try {
        const task = tasks[node.kind] as Task;
        r = await Promise.race([task.run(node, ctx), hungUp]);
      } catch (err) {
        if (call.ended) r = HANGUP;
        else {
          nodeLog.error({ err }, 'ivr task threw');
          r = { fail: (err as Error).message };
        }
      }

      if (r === HANGUP) {
        outcome = endedOutcome();
        nodeLog.info({ step: steps, outcome, by: hangupBy }, 'ivr call ended during node');
      } else if ('next' in r) {
        nodeLog.info({ step: steps, from: current, to: r.next, result: entry.result }, 'ivr transition');
        current = r.next;
      } else if ('end' in r) {
        outcome = r.end;
        detail = r.detail;
        nodeLog.info({ step: steps, outcome: r.end, detail: r.detail, result: entry.result }, 'ivr session end');
      } else if (call.ended) {
        outcome = endedOutcome();
      } else {
        entry.result = entry.result ? `${entry.result}; failed` : 'failed';
        vars['error.node'] = current;
        vars['error.message'] = r.fail;
        if (flow.onError !== undefined && errors < MAX_ERROR_REDIRECTS) {
          errors++;
          nodeLog.warn({ step: steps, reason: r.fail, to: flow.onError }, 'ivr failure, going to onError');
          current = flow.onError;
        } else {
          nodeLog.warn({ step: steps, reason: r.fail }, 'ivr failure, hanging up');
          await politeHangup('error', r.fail);
        }
      }
    }
  } finally {
    call.off('hangup', onHangup);
    if (!abort.signal.aborted) abort.abort(new Error('ivr session ended'));
  }

  const result: IvrResult = {
    callId: call.callId,
    flowId: flow.id,
    outcome: outcome ?? 'error',
    ...(detail !== undefined ? { detail } : {}),
    path: trace.map((t) => t.node),
    trace,
    vars: publicVars(),
    lang,
    steps,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
  };
  log.info({ outcome: result.outcome, steps, path: result.path.join('>') }, 'ivr session done');
  void publish(deps, log, { type: 'ivr.ended', callId: call.callId, flowId: flow.id, outcome: result.outcome, path: result.path });
  return result;
}

async function publish(deps: IvrDeps, log: IvrDeps['log'], ev: { type: string; [k: string]: unknown }): Promise<void> {
  if (!deps.bus) return;
  try {
    await deps.bus.publish('supervisor', ev);
  } catch (err) {
    log.warn({ err }, 'ivr event publish failed');
  }
}
