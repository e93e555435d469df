import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/api/log-redaction.js';

describe('redactUrl', () => {
  it('removes bearer tokens from logged URLs', () => {
    expect(redactUrl('/ws?token=abc.def')).toBe('/ws?token=[redacted]');
    expect(redactUrl('/recordings/1/audio?x=1&token=abc&y=2')).toBe('/recordings/1/audio?x=1&token=[redacted]&y=2');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });
});
