/** SDP direction handling for re-INVITEs (hold/unhold) that we answer ourselves. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The session's effective direction (first m= line's attribute, else session level, else sendrecv; c=0.0.0.0 counts as hold). */
export function sdpDirection(sdp: string): Direction {
  const lines = sdp.split(/\r?\n/);
  const firstM = lines.findIndex((l) => l.startsWith('m='));
  const find = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const m = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.exec(lines[i]);
      if (m) return m[1] as Direction;
    }
    return undefined;
  };
  const media = firstM >= 0 ? find(firstM, lines.length) : undefined;
  const dir = media ?? find(0, firstM < 0 ? lines.length : firstM) ?? 'sendrecv';
  if (dir === 'sendrecv' && lines.some((l) => /^c=IN IP4 0\.0\.0\.0\s*$/.test(l))) return 'sendonly';
  return dir;
}

const mirror: Record<Direction, Direction> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

/** Our answer to an offer with `offered` direction: our previous SDP with the mirrored direction and a bumped o= version. */
export function answerWithDirection(ourSdp: string, offered: Direction): string {
  const want = mirror[offered];
  const eol = ourSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = ourSdp.split(/\r?\n/).filter((l, i, all) => !(l === '' && i === all.length - 1));
  const out: string[] = [];
  let seenDirection = false;
  for (const l of lines) {
    if (/^a=(sendrecv|sendonly|recvonly|inactive)\s*$/.test(l)) {
      out.push(`a=${want}`);
      seenDirection = true;
    } else if (l.startsWith('o=')) {
      const p = l.split(' ');
      if (p.length >= 6 && /^\d+$/.test(p[2])) p[2] = String(BigInt(p[2]) + 1n);
      out.push(p.join(' '));
    } else out.push(l);
  }
  if (!seenDirection) out.push(`a=${want}`);
  return out.join(eol) + eol;
}
