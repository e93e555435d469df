/**
 * What the SIP layer needs from the agent domain (src/agents implements these; the lead wires them).
 * Kept here so the registrar compiles and is tested without the ACD code.
 */

/** Credentials of one agent softphone account. Exactly one of password / ha1 is expected. */
export interface AgentCredential {
  agentId: string;
  /** Clear-text SIP password (HA1 is derived per realm). */
  password?: string;
  /** Precomputed MD5(username:realm:password) for stores that never keep the password. */
  ha1?: string;
}

export interface AgentCredentials {
  /** null when no agent has this SIP username. */
  lookup(username: string): Promise<AgentCredential | null> | AgentCredential | null;
}

/** Where registrations land (the ACD routes calls to the stored contact). */
export interface RegistrationSink {
  /** expiresSec = 0 removes that contact binding. */
  setRegistration(agentId: string, contactUri: string, expiresSec: number): Promise<void> | void;
  /** `Contact: *` with Expires: 0 removes every binding of the agent. Optional: without it the registrar removes the bindings it is told about. */
  clearRegistrations?(agentId: string): Promise<void> | void;
}
