import { describe, expect, it } from 'vitest';
import {
  createContentType,
  DEFAULT_CONTENT_TYPE,
  isJsonType,
  isTextType,
  normalizeContentType,
  parseAppendHeaders,
  parseCreateHeaders,
  parseExpiry,
  parseProducer,
  parseRfc3339,
  parseStreamClosed,
} from './headers.js';

const refused = expect.objectContaining({ code: 'invalid_request' });

describe('Stream-TTL and Stream-Expires-At', () => {
  it('takes a TTL in decimal digits only', () => {
    expect(parseExpiry('0', undefined)).toEqual({ ttlSeconds: 0, expiresAt: null });
    expect(parseExpiry('3600', undefined)).toEqual({ ttlSeconds: 3600, expiresAt: null });
    for (const bad of [
      '',
      ' 1',
      '1 ',
      '+3600',
      '-1',
      '03600',
      '3600.0',
      '3.6e3',
      '0x10',
      'abc',
      '１',
      '9'.repeat(20),
    ]) {
      expect(() => parseExpiry(bad, undefined), JSON.stringify(bad)).toThrow(refused);
    }
  });

  it('takes an RFC 3339 time with a zone', () => {
    const at = Date.UTC(2030, 0, 2, 3, 4, 5, 600);
    expect(parseExpiry(undefined, '2030-01-02T03:04:05.600Z')).toEqual({ ttlSeconds: null, expiresAt: at });
    expect(parseRfc3339('2030-01-02T03:04:05.600+00:00')).toBe(at);
    expect(parseRfc3339('2030-01-02T05:04:05.6+02:00')).toBe(at);
    expect(parseRfc3339('2030-01-02t03:04:05.600z')).toBe(at);
    expect(parseRfc3339('2030-01-02 03:04:05.600Z')).toBe(at);
    for (const bad of [
      '',
      'tomorrow',
      '2030-01-02',
      '2030-01-02T03:04:05', // no zone
      '2030-01-02T03:04Z',
      '2030-02-30T00:00:00Z',
      '2030-13-01T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T00:00:00+25:00',
      '1767225600',
      'Wed, 01 Jan 2030 00:00:00 GMT',
    ]) {
      expect(parseRfc3339(bad), bad).toBeNull();
      expect(() => parseExpiry(undefined, bad), bad).toThrow(refused);
    }
  });

  it('refuses both at once', () => {
    expect(() => parseExpiry('60', '2030-01-02T03:04:05Z')).toThrow(refused);
  });
});

describe('producer headers', () => {
  it('all three or none', () => {
    expect(parseProducer(undefined, undefined, undefined)).toBeNull();
    expect(parseProducer('p', '0', '0')).toEqual({ id: 'p', epoch: 0, seq: 0 });
    expect(parseProducer('p', '007', '12')).toEqual({ id: 'p', epoch: 7, seq: 12 });
    for (const [id, epoch, seq] of [
      ['p', '0', undefined],
      ['p', undefined, '0'],
      [undefined, '0', '0'],
      ['p', undefined, undefined],
    ] as const) {
      expect(() => parseProducer(id, epoch, seq)).toThrow(refused);
    }
  });

  it('a non-empty id and integers up to 2^53 - 1', () => {
    expect(() => parseProducer('', '0', '0')).toThrow(refused);
    expect(parseProducer('p', String(2 ** 53 - 1), '0')?.epoch).toBe(2 ** 53 - 1);
    for (const bad of ['-1', '1.5', '1e3', 'abc', '', ' 1', String(2 ** 53), '0x1', '+1']) {
      expect(() => parseProducer('p', bad, '0'), `epoch ${bad}`).toThrow(refused);
      expect(() => parseProducer('p', '0', bad), `seq ${bad}`).toThrow(refused);
    }
  });
});

describe('Stream-Closed', () => {
  it('is present only when exactly true, in any case; anything else is as if absent', () => {
    for (const yes of ['true', 'TRUE', 'True', 'tRuE']) expect(parseStreamClosed(yes), yes).toBe(true);
    for (const no of [undefined, '', 'false', 'yes', '1', 'truee', 'on'])
      expect(parseStreamClosed(no), String(no)).toBe(false);
  });
});

describe('content types', () => {
  it('compare by media type, lower case, without parameters', () => {
    expect(normalizeContentType('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(normalizeContentType(' text/plain ')).toBe('text/plain');
  });

  it('JSON mode for application/json only; text for text/* and JSON', () => {
    expect(isJsonType('application/json')).toBe(true);
    expect(isJsonType('application/ndjson')).toBe(false);
    expect(isTextType('text/plain')).toBe(true);
    expect(isTextType('text/csv')).toBe(true);
    expect(isTextType('application/json')).toBe(true);
    expect(isTextType('application/octet-stream')).toBe(false);
    expect(isTextType('application/x-protobuf')).toBe(false);
  });

  it('a create without a usable one gets application/octet-stream', () => {
    expect(createContentType(undefined)).toBe(DEFAULT_CONTENT_TYPE);
    expect(createContentType('')).toBe(DEFAULT_CONTENT_TYPE);
    expect(createContentType('nonsense')).toBe(DEFAULT_CONTENT_TYPE);
    expect(createContentType('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
  });
});

describe("a request's headers", () => {
  const from = (headers: Record<string, string>) => (name: string) => headers[name];

  it('of a create', () => {
    expect(
      parseCreateHeaders(from({ 'content-type': 'text/plain', 'stream-ttl': '60', 'stream-closed': 'true' })),
    ).toEqual({
      contentType: 'text/plain',
      closed: true,
      ttlSeconds: 60,
      expiresAt: null,
    });
  });

  it('of an append', () => {
    expect(
      parseAppendHeaders(
        from({
          'content-type': 'Application/Json',
          'stream-seq': '0001',
          'producer-id': 'w',
          'producer-epoch': '1',
          'producer-seq': '2',
        }),
      ),
    ).toEqual({
      contentType: 'application/json',
      close: false,
      streamSeq: '0001',
      producer: { id: 'w', epoch: 1, seq: 2 },
    });
    expect(parseAppendHeaders(from({ 'stream-closed': 'true' }))).toEqual({
      contentType: null,
      close: true,
      streamSeq: null,
      producer: null,
    });
  });
});
