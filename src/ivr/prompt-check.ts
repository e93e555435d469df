import type { Flow, FlowNode } from './flow-schema.js';
import type { IvrLanguage } from './ports.js';
import type { FlowProblem } from './validate-flow.js';

/** src/media/prompts.ts PromptSet satisfies this. */
export interface PromptAvailability {
  has(key: string, lang: IvrLanguage): boolean;
}

/** Every prompt key a node can play, with the field it comes from. */
export function promptsOf(node: FlowNode): { field: string; key: string }[] {
  const out: { field: string; key: string }[] = [];
  const add = (field: string, keys: string[] | undefined) => keys?.forEach((key, i) => out.push({ field: `${field}[${i}]`, key }));
  switch (node.kind) {
    case 'play':
    case 'hangup':
    case 'transfer':
    case 'request-callback':
    case 'survey':
      add('prompts', node.prompts);
      break;
    case 'gather':
    case 'menu':
      add('prompts', node.prompts);
      add('invalidPrompts', node.invalidPrompts);
      add('timeoutPrompts', node.timeoutPrompts);
      break;
    case 'say':
      node.parts.forEach((p, i) => { if ('prompt' in p) out.push({ field: `parts[${i}].prompt`, key: p.prompt }); });
      break;
    default:
      break;
  }
  return out;
}

/** Languages a session of this flow can end up in: the flow's own plus any a menu or set-var switches to. */
export function languagesOf(flow: Flow): IvrLanguage[] {
  const langs = new Set<IvrLanguage>([flow.lang]);
  for (const n of Object.values(flow.nodes)) {
    if (n.kind === 'menu') n.choices.forEach((c) => c.lang && langs.add(c.lang));
    if (n.kind === 'set-var' && n.lang) langs.add(n.lang);
  }
  return [...langs];
}

/**
 * Prompt keys with no recording in a language the flow can use. Warnings, not errors: studio prompts
 * are often uploaded after the flow is drafted; at run time a missing prompt fails the node (onError).
 */
export function missingPrompts(flow: Flow, prompts: PromptAvailability): FlowProblem[] {
  const langs = languagesOf(flow);
  const out: FlowProblem[] = [];
  for (const [node, n] of Object.entries(flow.nodes)) {
    for (const { field, key } of promptsOf(n)) {
      const missing = langs.filter((l) => !prompts.has(key, l));
      if (missing.length) out.push({ node, field, message: `no prompt '${key}' for ${missing.join(', ')}` });
    }
  }
  return out;
}
