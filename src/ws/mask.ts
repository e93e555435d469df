import { maskPhone, type Role } from '../auth/roles.js';

/** Fields that carry a customer's number anywhere in an event (screen pops, customer records). */
const PHONE_KEYS = new Set(['callerNumber', 'caller', 'phone', 'phones', 'remoteNumber', 'mobile', 'altPhone', 'customerPhone']);

/** A copy of the event with phone numbers masked for the role (agents see the last 4 digits only). */
export function maskEvent<T>(value: T, role: Role, key?: string): T {
  if (role !== 'agent') return value;
  if (typeof value === 'string') return (key && PHONE_KEYS.has(key) ? maskPhone(value, role) : value) as T;
  if (Array.isArray(value)) return value.map((v) => maskEvent(v, role, key)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskEvent(v, role, k);
    return out as T;
  }
  return value;
}
