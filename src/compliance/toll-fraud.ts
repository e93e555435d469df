/**
 * Toll-fraud guard: a destination must start with one of the campaign's allowed E.164 prefixes
 * (e.g. '+86', '+8610'). An empty list allows nothing.
 */
export function isDestinationAllowed(e164: string, allowedPrefixes: readonly string[]): boolean {
  if (!/^\+\d{6,15}$/.test(e164)) return false;
  return allowedPrefixes.some((p) => e164.startsWith(p.startsWith('+') ? p : `+${p}`));
}
