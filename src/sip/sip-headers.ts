/** Small helpers for the header shapes the registrar and router read; drachtio-srf hands us raw header strings. */

export interface ParsedContact {
  uri: string;
  params: Record<string, string>;
}

/** Splits a comma-joined header list, ignoring commas inside quotes or <...>. */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let inQuote = false;
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inQuote) {
      if (ch === '\\' && i + 1 < value.length) {
        cur += ch + value[++i];
        continue;
      }
      if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') depthAngle++;
    else if (ch === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (ch === ',' && depthAngle === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** name-addr or addr-spec with header params: `"Name" <sip:u@h;transport=tcp>;expires=60` or `sip:u@h;expires=60`. */
export function parseNameAddr(value: string): ParsedContact {
  const v = value.trim();
  const lt = v.indexOf('<');
  let uri: string;
  let rest: string;
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    uri = v.slice(lt + 1, gt < 0 ? undefined : gt);
    rest = gt < 0 ? '' : v.slice(gt + 1);
  } else {
    // addr-spec: URI params and header params cannot be told apart; RFC 3261 says they are header params
    const semi = v.indexOf(';');
    uri = semi < 0 ? v : v.slice(0, semi);
    rest = semi < 0 ? '' : v.slice(semi);
  }
  const params: Record<string, string> = {};
  for (const p of rest.split(';')) {
    const t = p.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    if (eq < 0) params[t.toLowerCase()] = '';
    else params[t.slice(0, eq).trim().toLowerCase()] = t.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  return { uri: uri.trim(), params };
}

/** The user part of a sip:/sips:/tel: URI ('' when there is none). */
export function uriUser(uri: string): string {
  const m = /^(?:sips?|tel):([^@;?>]*)(@|$|;)/i.exec(uri.trim());
  if (!m) return '';
  if (m[2] !== '@' && !/^tel:/i.test(uri.trim())) return '';
  return decodeURIComponent(m[1].split(':')[0]);
}
