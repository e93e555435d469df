/**
 * drachtio control-protocol framing: every message is `<decimal byte length>#<payload>`, no trailer.
 * Lengths count UTF-8 bytes, so framing works on Buffers and decodes a payload only once complete.
 */

export class ControlFramingError extends Error {}

/** Longest accepted payload; a length above this is treated as garbage (protects memory). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** A length prefix longer than this many digits cannot be valid. */
const MAX_LENGTH_DIGITS = 9;

export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'ascii'), body]);
}

/** Splits a byte stream into payload strings; throws ControlFramingError on a bad length prefix. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.buf.indexOf(0x23); // '#'
      if (hash < 0) {
        if (this.buf.length > MAX_LENGTH_DIGITS) throw new ControlFramingError('missing length prefix');
        return out;
      }
      if (hash === 0 || hash > MAX_LENGTH_DIGITS) throw new ControlFramingError('invalid length prefix');
      let len = 0;
      for (let i = 0; i < hash; i++) {
        const c = this.buf[i] - 0x30;
        if (c < 0 || c > 9) throw new ControlFramingError('invalid length prefix');
        len = len * 10 + c;
      }
      if (len <= 0 || len > MAX_FRAME_BYTES) throw new ControlFramingError(`invalid frame length ${len}`);
      const end = hash + 1 + len;
      if (this.buf.length < end) return out;
      out.push(this.buf.toString('utf8', hash + 1, end));
      this.buf = this.buf.subarray(end);
    }
  }
}

/** Splits a payload into its `|`-separated meta line and the SIP text after the first CRLF (if any). */
export function splitPayload(payload: string): { tokens: string[]; sip: string | undefined } {
  const crlf = payload.indexOf('\r\n');
  const meta = crlf < 0 ? payload : payload.slice(0, crlf);
  return { tokens: meta.split('|'), sip: crlf < 0 ? undefined : payload.slice(crlf + 2) };
}

/** Time stamp as drachtio-server writes it in meta lines: `hh:mm:ss.uuuuuu` (UTC). */
export function stackTime(d = new Date()): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')}`;
}
