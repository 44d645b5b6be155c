import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { decodeEntry, encodeEvent, fieldsByteLength, toWireJson, wireJsonAsRead } from './envelope.js';
import { EventTooLargeError, SerializationError } from './errors.js';
import type { NewEvent } from './types.js';

const { limits } = resolveConfig();
const event: NewEvent = {
  event_id: 'evt-1',
  channel: 'restaurant:123:orders',
  type: 'order.created',
  payload: { order_id: 'ord_123' },
  actor: null,
  metadata: {},
  created_at: '2026-06-29T12:00:00Z',
};

describe('encodeEvent', () => {
  it('writes the seven entry fields as the Python library does', () => {
    expect(encodeEvent(event, limits)).toEqual({
      event_id: 'evt-1',
      channel: 'restaurant:123:orders',
      type: 'order.created',
      payload: '{"order_id":"ord_123"}',
      actor: 'null',
      metadata: '{}',
      created_at: '2026-06-29T12:00:00Z',
    });
  });

  it('bounds the encoded size in UTF-8 bytes, exactly at the limit', () => {
    const size = fieldsByteLength(encodeEvent(event, limits));
    const padded = (extra: string): NewEvent => ({ ...event, payload: { order_id: `ord_123${extra}` } });
    const room = 100;
    const tight = { ...limits, maxEventBytes: size + room };
    expect(() => encodeEvent(padded('x'.repeat(room)), tight)).not.toThrow();
    expect(() => encodeEvent(padded('x'.repeat(room + 1)), tight)).toThrow(EventTooLargeError);
    // 'é' is two bytes: half as many fit.
    expect(() => encodeEvent(padded('é'.repeat(room / 2)), tight)).not.toThrow();
    expect(() => encodeEvent(padded('é'.repeat(room / 2 + 1)), tight)).toThrow(EventTooLargeError);
  });
});

describe('decodeEntry', () => {
  it('fails with the entry ID when a required field is missing', () => {
    for (const field of ['channel', 'type', 'payload', 'created_at']) {
      const fields: Record<string, string> = { ...encodeEvent(event, limits) };
      delete fields[field];
      const error = (() => {
        try {
          decodeEntry('5-0', fields);
        } catch (caught) {
          return caught as SerializationError;
        }
      })();
      expect(error).toBeInstanceOf(SerializationError);
      expect(error?.context).toMatchObject({ id: '5-0', field });
    }
    expect(() => decodeEntry('5-0', { ...encodeEvent(event, limits), actor: '[1]' })).toThrow(SerializationError);
  });
});

describe('decodeEntry created_at', () => {
  const fields = (created_at: string) => ({ ...encodeEvent(event, limits), created_at });

  it('reads another ISO form in the envelope form, and the envelope form as stored', () => {
    expect(decodeEntry('5-0', fields('2026-06-29T14:00:00.5+02:00')).created_at).toBe('2026-06-29T12:00:00.500000Z');
    expect(decodeEntry('5-0', fields('2026-06-29T12:00:00.123Z')).created_at).toBe('2026-06-29T12:00:00.123000Z');
    expect(decodeEntry('5-0', fields('2026-06-29T12:00:00.123000Z')).created_at).toBe('2026-06-29T12:00:00.123000Z');
  });

  it('fails with the entry ID when it is no time', () => {
    for (const bad of ['not-a-date', '2026-06-29T12:00:00', '2026-13-01T00:00:00Z']) {
      let error: SerializationError | undefined;
      try {
        decodeEntry('5-0', fields(bad));
      } catch (caught) {
        error = caught as SerializationError;
      }
      expect(error, bad).toBeInstanceOf(SerializationError);
      expect(error?.context).toMatchObject({ id: '5-0', field: 'created_at', value: bad });
      expect(error?.message).toContain('stream entry 5-0');
    }
  });
});

describe('toWireJson', () => {
  it('writes the documented key order', () => {
    expect(toWireJson({ ...event, id: '1-0' })).toBe(
      '{"id":"1-0","event_id":"evt-1","channel":"restaurant:123:orders","type":"order.created",' +
        '"payload":{"order_id":"ord_123"},"actor":null,"metadata":{},"created_at":"2026-06-29T12:00:00Z"}',
    );
  });
});

describe('wireJsonAsRead', () => {
  // Fields as this library or the Python one (its json.dumps spacing) may store them.
  const stored = fc.record({
    event_id: fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 20 })),
    channel: fc.string({ minLength: 1, maxLength: 20 }),
    type: fc.string({ minLength: 1, maxLength: 20 }),
    payload: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })),
    actor: fc.option(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))),
    metadata: fc.option(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))),
    created_at: fc.constantFrom('2026-06-29T12:00:00Z', '2026-06-29T14:00:00.5+02:00', '2026-06-29 12:00:00.123Z'),
    spaced: fc.boolean(),
  });
  const text = (value: unknown, spaced: boolean) =>
    spaced ? JSON.stringify(value, null, 1).replace(/\n */g, ' ') : JSON.stringify(value);

  it('is the same JSON value as toWireJson for every entry decodeEntry reads', () => {
    fc.assert(
      fc.property(stored, (entry) => {
        const fields: Record<string, string> = {
          event_id: entry.event_id,
          channel: entry.channel,
          type: entry.type,
          payload: text(entry.payload, entry.spaced),
          actor: entry.actor === null ? 'null' : text(entry.actor, entry.spaced),
          created_at: entry.created_at,
        };
        if (entry.metadata !== null) fields.metadata = text(entry.metadata, entry.spaced);
        // (jsonValue makes integers past 2^53 too: read as strings of their digits.)
        const decoded = decodeEntry('5-1', fields, { largeIntegers: 'string', framed: true });
        expect(JSON.parse(wireJsonAsRead(decoded))).toEqual(JSON.parse(toWireJson(decoded)));
        if (!entry.spaced) expect(wireJsonAsRead(decoded)).toBe(toWireJson(decoded));
      }),
    );
  });

  it('frames integers past 2^53 as largeIntegers read them', () => {
    const fields = { ...encodeEvent(event, limits), payload: '{"big":9007199254740993,"float":1e20}' };
    const decoded = decodeEntry('5-1', fields, { largeIntegers: 'string', framed: true });
    expect(decoded.payload).toEqual({ big: '9007199254740993', float: 1e20 });
    expect(wireJsonAsRead(decoded)).toContain('"payload":{"big":"9007199254740993","float":1e20}');
    expect(() => decodeEntry('5-1', fields)).toThrow(SerializationError);
  });

  it('encodes any other event, and an event read but copied, with toWireJson', () => {
    const fields = { ...encodeEvent(event, limits), payload: '{"a": 1}' };
    const decoded = decodeEntry('5-1', fields, { framed: true });
    expect(wireJsonAsRead(decoded)).toContain('"payload":{"a": 1}');
    // Read for anything but framing: nothing kept, encoded when asked.
    const unframed = decodeEntry('5-1', fields);
    expect(wireJsonAsRead(unframed)).toBe(toWireJson(unframed));
    expect(wireJsonAsRead({ ...decoded })).toBe(toWireJson(decoded));
    expect(wireJsonAsRead({ ...event, id: '1-0' })).toBe(toWireJson({ ...event, id: '1-0' }));
  });
});
