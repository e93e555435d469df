/** G.711 u-law (PCMU, payload type 0) and A-law (PCMA, payload type 8) <-> 16-bit linear PCM. */

const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);

for (let i = 0; i < 256; i++) {
  const u = ~i & 0xff;
  const exp = (u >> 4) & 0x07;
  const mant = u & 0x0f;
  let s = (((mant << 3) + 0x84) << exp) - 0x84;
  ULAW_DECODE[i] = u & 0x80 ? -s : s;

  const a = i ^ 0x55;
  const aexp = (a >> 4) & 0x07;
  const amant = a & 0x0f;
  s = aexp === 0 ? (amant << 4) + 8 : ((amant << 4) + 0x108) << (aexp - 1);
  ALAW_DECODE[i] = a & 0x80 ? s : -s;
}

export function ulawToLinear(b: number): number {
  return ULAW_DECODE[b & 0xff];
}

export function alawToLinear(b: number): number {
  return ALAW_DECODE[b & 0xff];
}

export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
  const mant = (s >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

export function linearToAlaw(sample: number): number {
  let s = Math.max(-32767, Math.min(32767, Math.round(sample)));
  const sign = s >= 0 ? 0x80 : 0;
  if (s < 0) s = -s - 1;
  let out: number;
  if (s < 256) out = s >> 4;
  else {
    let exp = 1;
    for (let v = s >> 8; v > 1 && exp < 7; v >>= 1) exp++;
    out = (exp << 4) | ((s >> (exp + 3)) & 0x0f);
  }
  return (out | sign) ^ 0x55;
}

/** Decodes a G.711 payload into `out` starting at `offset`; returns the number of samples written. */
export function decodeG711(payloadType: 0 | 8, payload: Uint8Array, out: Int16Array, offset: number): number {
  const table = payloadType === 0 ? ULAW_DECODE : ALAW_DECODE;
  const n = Math.min(payload.length, out.length - offset);
  for (let i = 0; i < n; i++) out[offset + i] = table[payload[i]];
  return Math.max(0, n);
}
