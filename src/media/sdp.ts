/** The few SDP facts the media layer needs (rtpengine rewrites everything else). */

export interface MediaEndpoint {
  address: string;
  port: number;
}

/** Audio endpoint of an SDP: first m=audio port and the media-level c= (else session-level c=). */
export function audioEndpoint(sdp: string): MediaEndpoint | undefined {
  const lines = sdp.split(/\r?\n/);
  const mIdx = lines.findIndex((l) => l.startsWith('m=audio '));
  if (mIdx < 0) return undefined;
  const port = Number(lines[mIdx].split(' ')[1]);
  const cAt = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const m = /^c=IN IP[46] (\S+)/.exec(lines[i]);
      if (m) return m[1];
    }
    return undefined;
  };
  const nextM = lines.findIndex((l, i) => i > mIdx && l.startsWith('m='));
  const address = cAt(mIdx, nextM < 0 ? lines.length : nextM) ?? cAt(0, mIdx);
  if (!address || !Number.isFinite(port)) return undefined;
  return { address, port };
}

/**
 * SDP for the stand-in of a leg that does not exist yet (IVR before a bridge, outbound before the answer).
 * rtpengine needs a peer to complete offer/answer; this one is sendrecv (so the real leg is not told it is on
 * hold) and points at the discard port 9 on rtpengine's own loopback, where whatever it forwards is dropped.
 */
export function blackHoleSdp(opts: { address?: string; sessionVersion?: number; codecsOf?: string } = {}): string {
  const addr = opts.address ?? '127.0.0.1';
  const v = opts.sessionVersion ?? 1;
  const codecs = opts.codecsOf ? audioCodecs(opts.codecsOf) : undefined;
  const media = codecs?.formats.length
    ? [`m=audio 9 RTP/AVP ${codecs.formats.join(' ')}`, ...codecs.attributes]
    : ['m=audio 9 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'];
  return ['v=0', `o=- 1 ${v} IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0', ...media, 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');
}

/** Payload formats of the first audio stream and their rtpmap/fmtp lines (to answer with exactly what was offered). */
export function audioCodecs(sdp: string): { formats: string[]; attributes: string[] } {
  const lines = sdp.split(/\r?\n/);
  const m = lines.findIndex((l) => l.startsWith('m=audio '));
  if (m < 0) return { formats: [], attributes: [] };
  const formats = lines[m].trim().split(/\s+/).slice(3);
  const end = lines.findIndex((l, i) => i > m && l.startsWith('m='));
  const attributes = lines
    .slice(m + 1, end < 0 ? lines.length : end)
    .filter((l) => { const f = /^a=(?:rtpmap|fmtp):(\d+)\s/.exec(l); return f !== null && formats.includes(f[1]); });
  return { formats, attributes };
}

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** Direction of the first audio stream (media-level attribute, else session-level, else sendrecv). */
export function sdpDirection(sdp: string): SdpDirection {
  const lines = sdp.split(/\r?\n/);
  const m = lines.findIndex((l) => l.startsWith('m=audio'));
  const pick = (ls: string[]) => ls.map((l) => /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(l)?.[1]).find(Boolean) as SdpDirection | undefined;
  return (m >= 0 ? pick(lines.slice(m)) : undefined) ?? pick(m >= 0 ? lines.slice(0, m) : lines) ?? 'sendrecv';
}

export const MIRROR_DIRECTION: Record<SdpDirection, SdpDirection> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

/** The SDP with every direction attribute replaced by `dir` (one media-level attribute if there was none). */
export function withDirection(sdp: string, dir: SdpDirection): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/).filter((l) => !/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.test(l));
  const out: string[] = [];
  for (const l of lines) {
    out.push(l);
    if (l.startsWith('m=audio')) out.push(`a=${dir}`);
  }
  return out.join(eol);
}
