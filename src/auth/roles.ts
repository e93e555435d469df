import { z } from 'zod';

export const roleSchema = z.enum(['admin', 'supervisor', 'agent']);
export type Role = z.infer<typeof roleSchema>;

/** Who is calling an API or holding a WebSocket: decoded from a verified token. */
export interface Principal {
  sub: string;
  role: Role;
  /** Set for agents (and supervisors who also take calls). */
  agentId?: string;
}

/** Agents see masked numbers: last 4 digits only, per the seeds' confidentiality rules. */
export function maskPhone(phone: string, role: Role): string {
  if (role !== 'agent') return phone;
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '****';
  return `${phone.startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}
