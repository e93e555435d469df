/** `{{var}}` substitution for say values, HTTP lookup URLs/bodies, transfer targets. Unknown vars -> ''. */

const TOKEN = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g;

export type Vars = Record<string, string>;

export function renderTemplate(tpl: string, vars: Vars, encode: (v: string) => string = (v) => v): string {
  return tpl.replace(TOKEN, (_m, name: string) => encode(Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : ''));
}

/** URL templates: substituted values are percent-encoded so a caller's digits cannot alter the URL. */
export function renderUrl(tpl: string, vars: Vars): string {
  const lead = /^\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/.exec(tpl);
  // A leading variable is a base URL set by the flow author, not caller input: keep it verbatim.
  if (lead) return renderTemplate(lead[0], vars) + renderTemplate(tpl.slice(lead[0].length), vars, encodeURIComponent);
  return renderTemplate(tpl, vars, encodeURIComponent);
}

/** Variable names a template refers to. */
export function templateVars(tpl: string): string[] {
  return [...tpl.matchAll(TOKEN)].map((m) => m[1]);
}
