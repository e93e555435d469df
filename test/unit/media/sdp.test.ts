import { describe, expect, it } from 'vitest';
import { audioCodecs, audioEndpoint, blackHoleSdp, sdpDirection, withDirection } from '../../../src/media/sdp.js';

const offer = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 96\r\nc=IN IP4 10.0.0.2\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\na=sendonly\r\nm=video 5000 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n';

describe('sdp helpers', () => {
  it('reads the audio endpoint (media-level c= wins), codecs and direction', () => {
    expect(audioEndpoint(offer)).toEqual({ address: '10.0.0.2', port: 4000 });
    expect(audioEndpoint('v=0\r\n')).toBeUndefined();
    expect(audioCodecs(offer)).toEqual({ formats: ['8', '96'], attributes: ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-15'] });
    expect(sdpDirection(offer)).toBe('sendonly');
    expect(sdpDirection('v=0\r\nm=audio 1 RTP/AVP 0\r\n')).toBe('sendrecv');
  });

  it('black-hole stand-in: sendrecv on the discard port, with the offered codecs when given', () => {
    const bh = blackHoleSdp({ codecsOf: offer });
    expect(bh).toContain('m=audio 9 RTP/AVP 8 96');
    expect(bh).toContain('a=fmtp:96 0-15');
    expect(bh).not.toContain('H264');
    expect(sdpDirection(bh)).toBe('sendrecv');
    expect(blackHoleSdp()).toContain('m=audio 9 RTP/AVP 0 8 101');
  });

  it('withDirection replaces every direction attribute', () => {
    const out = withDirection(offer, 'recvonly');
    expect(out.match(/a=(sendrecv|sendonly|recvonly|inactive)/g)).toEqual(['a=recvonly']);
    expect(sdpDirection(out)).toBe('recvonly');
  });
});
