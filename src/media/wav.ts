import { open } from 'node:fs/promises';

/** Minimal RIFF/WAVE (PCM 16-bit) reading and writing: prompt durations, recordings, test assertions. */

export interface WavInfo {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Byte offset and length of the data chunk. */
  dataOffset: number;
  dataBytes: number;
  durationMs: number;
}

export function parseWavHeader(buf: Buffer, fileSize = buf.length): WavInfo {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let off = 12;
  let fmt: { channels: number; sampleRate: number; byteRate: number; bits: number } | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmt = { channels: buf.readUInt16LE(off + 10), sampleRate: buf.readUInt32LE(off + 12), byteRate: buf.readUInt32LE(off + 16), bits: buf.readUInt16LE(off + 22) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before fmt chunk');
      // sox/espeak may write 0 or 0xffffffff for streamed output: trust the file size then
      const avail = fileSize - (off + 8);
      const dataBytes = size === 0 || size === 0xffffffff || size > avail ? avail : size;
      return {
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bits,
        dataOffset: off + 8,
        dataBytes,
        durationMs: fmt.byteRate ? Math.round((dataBytes * 1000) / fmt.byteRate) : 0,
      };
    }
    off += 8 + size + (size & 1);
  }
  throw new Error('WAV has no data chunk');
}

/** Reads only the header of a WAV file. */
export async function wavInfo(path: string): Promise<WavInfo> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.min(size, 65536));
    await fh.read(buf, 0, buf.length, 0);
    return parseWavHeader(buf, size);
  } finally {
    await fh.close();
  }
}

export function wavHeader(o: { channels: number; sampleRate: number; dataBytes: number }): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + o.dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.sampleRate, 24);
  h.writeUInt32LE(o.sampleRate * o.channels * 2, 28);
  h.writeUInt16LE(o.channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(o.dataBytes, 40);
  return h;
}

/** Interleaves channels (equal length or padded with silence) into a 16-bit PCM WAV. */
export function encodeWav(channels: Int16Array[], sampleRate = 8000): Buffer {
  const n = channels.reduce((m, c) => Math.max(m, c.length), 0);
  const k = channels.length;
  const out = Buffer.alloc(44 + n * k * 2);
  wavHeader({ channels: k, sampleRate, dataBytes: n * k * 2 }).copy(out, 0);
  // interleave through a typed view (WAV is little-endian, like every platform Node runs on here)
  const view = new Int16Array(out.buffer, out.byteOffset + 44, n * k);
  for (let c = 0; c < k; c++) {
    const ch = channels[c];
    for (let i = 0; i < ch.length; i++) view[i * k + c] = ch[i];
  }
  return out;
}

/** Splits a 16-bit PCM WAV into one Int16Array per channel. */
export function decodeWav(buf: Buffer): { sampleRate: number; channels: Int16Array[] } {
  const info = parseWavHeader(buf);
  if (info.bitsPerSample !== 16) throw new Error(`only 16-bit PCM WAV is supported (got ${info.bitsPerSample})`);
  const frames = Math.floor(info.dataBytes / (2 * info.channels));
  const out = Array.from({ length: info.channels }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < info.channels; c++) out[c][i] = buf.readInt16LE(info.dataOffset + (i * info.channels + c) * 2);
  }
  return { sampleRate: info.sampleRate, channels: out };
}
