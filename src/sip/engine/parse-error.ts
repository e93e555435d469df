import type { SipMessage } from './message.js';

/** A message that violates RFC 3261 syntax. The only error the parsers throw. */
export class SipParseError extends Error {
  /** What was parsed before the error, when the start line was a request: enough to answer 400 if it has Via/From/To/Call-ID/CSeq. */
  partial?: SipMessage;

  constructor(message: string, partial?: SipMessage) {
    super(message);
    this.name = 'SipParseError';
    this.partial = partial;
  }
}
