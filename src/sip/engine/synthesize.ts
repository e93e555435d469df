import { SipMessage } from './message.js';

/** A response the engine makes up itself (request could not be sent, too many hops...): all Vias, From, To, Call-ID, CSeq from the request. */
export function synthesizeResponse(req: SipMessage, status: number, reason: string): SipMessage {
  const res = SipMessage.response(status, reason);
  for (const v of req.getAll('Via')) res.add('Via', v);
  for (const h of ['From', 'To', 'Call-ID', 'CSeq']) {
    const v = req.get(h);
    if (v) res.set(h, v);
  }
  return res;
}
