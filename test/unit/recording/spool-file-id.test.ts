import { describe, expect, it } from 'vitest';
import { spoolFileId } from '../../../src/recording/call-recorder.js';

describe('spoolFileId', () => {
  it('escapes a Call-ID the way rtpengine 10.5 names its pcap files', () => {
    // Observed file name for this Call-ID from a real rtpengine 10.5 run with --recording-method=pcap.
    expect(spoolFileId("a@b:c/d;e~f_g.h-i+j=k%l m!n*o'p(q)r")).toBe('a%40b%3Ac%2Fd%3Be~f_g.h-i%2Bj%3Dk%25l%20m%21n%2Ao%27p%28q%29r');
    expect(spoolFileId('1-16898@127.0.0.1')).toBe('1-16898%40127.0.0.1');
    expect(spoolFileId('3b1f6c2e-uuid')).toBe('3b1f6c2e-uuid');
  });
});
