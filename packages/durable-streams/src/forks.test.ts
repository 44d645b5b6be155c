// Forks over HTTP, beyond what the protocol's suite checks (conformance.test.ts runs
// its 82 fork tests): the fork headers' parsing, `maxForkMessages`, a first body in
// the inherited content type, and each refusal's status and code.

import { describe, expect, it } from 'vitest';
import { parseForkHeaders, parseForkOffset, parseForkSource, parseForkSubOffset } from './fork-request.js';
import { serveRoutes } from './test-support/harness.js';

const refused = expect.objectContaining({ code: 'invalid_request' });

describe('the fork headers', () => {
  it('takes an offset of two decimal parts, ours or the reference server’s zero', () => {
    expect(parseForkOffset('00000001796582243338_00000000000000000012')).toBe('1796582243338-12');
    expect(parseForkOffset('0000000000000000_0000000000000000')).toBe('0-0');
    expect(parseForkOffset('18446744073709551615_0')).toBe('18446744073709551615-0');
    for (const bad of ['', '-1', 'now', '1-2', '1_', '_1', '1_2_3', '18446744073709551616_0', 'a_b', ' 1_2']) {
      expect(() => parseForkOffset(bad), JSON.stringify(bad)).toThrow(refused);
    }
  });

  it('takes a sub-offset in decimal digits only', () => {
    expect(parseForkSubOffset('0')).toBe(0);
    expect(parseForkSubOffset('42')).toBe(42);
    for (const bad of ['', '-1', 'abc', '1.5', '05', '+1', '1e3', '9'.repeat(20)]) {
      expect(() => parseForkSubOffset(bad), JSON.stringify(bad)).toThrow(refused);
    }
  });

  it('takes a source under the streams path, percent-decoded', () => {
    expect(parseForkSource('/v1/stream/a/b%20c', '/v1/stream')).toBe('a/b c');
    expect(parseForkSource('/v1/stream/a?x=1', '/v1/stream')).toBe('a');
    for (const bad of ['a', '/v1/stream', '/v1/stream/', '/v1/channel/a', 'http://elsewhere/v1/stream/a', '']) {
      expect(() => parseForkSource(bad, '/v1/stream'), JSON.stringify(bad)).toThrow(refused);
    }
  });

  it('is no fork without Stream-Forked-From, and refuses the other two without it', () => {
    const headers = (values: Record<string, string>) => (name: string) => values[name];
    expect(parseForkHeaders(headers({}), '/v1/stream')).toBeNull();
    expect(() => parseForkHeaders(headers({ 'stream-fork-offset': '0_0' }), '/v1/stream')).toThrow(refused);
    expect(() => parseForkHeaders(headers({ 'stream-fork-sub-offset': '0' }), '/v1/stream')).toThrow(refused);
    expect(parseForkHeaders(headers({ 'stream-forked-from': '/v1/stream/a' }), '/v1/stream')).toEqual({
      source: 'a',
      offset: null,
      subOffset: 0,
      contentType: null,
    });
  });
});

describe('forks over HTTP', () => {
  it('refuses a fork longer than maxForkMessages with 400, and answers each refusal with its code', async () => {
    const served = await serveRoutes(undefined, { maxForkMessages: 2 });
    try {
      // Bytes, not a string: fetch would add `Content-Type: text/plain` to a string body.
      const put = (path: string, headers: Record<string, string>, body?: string) =>
        fetch(served.stream(path), {
          method: 'PUT',
          headers,
          ...(body !== undefined && { body: new TextEncoder().encode(body) }),
        });
      const code = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;
      await put('src', { 'content-type': 'application/json' }, '[1,2,3]');
      const tooLong = await put('fork', { 'stream-forked-from': '/v1/stream/src' });
      expect(tooLong.status).toBe(400);
      expect(await code(tooLong)).toBe('fork_too_large');
      expect((await fetch(served.stream('fork'), { method: 'HEAD' })).status).toBe(404);

      // Two of three: within the limit. A first body without Content-Type is in the source's.
      const made = await put(
        'fork',
        { 'stream-forked-from': '/v1/stream/src', 'stream-fork-offset': '0_0', 'stream-fork-sub-offset': '2' },
        '[4]',
      );
      expect(made.status).toBe(201);
      expect(made.headers.get('content-type')).toBe('application/json');
      expect(await (await fetch(`${served.stream('fork')}?offset=-1`)).json()).toEqual([1, 2, 4]);

      // A path that exists is answered first (the same fork, or a conflict), then the source.
      const refusals: [string, Record<string, string>, number, string][] = [
        ['fork', { 'stream-forked-from': '/v1/stream/nowhere' }, 409, 'conflict'],
        ['new', { 'stream-forked-from': '/v1/stream/nowhere' }, 404, 'not_found'],
        ['new', { 'stream-forked-from': '/v1/channel/src' }, 400, 'invalid_request'],
        ['new', { 'stream-forked-from': '/v1/stream/src', 'content-type': 'text/plain' }, 409, 'content_type_mismatch'],
        [
          'new',
          { 'stream-forked-from': '/v1/stream/src', 'stream-fork-offset': '99999999999999_0' },
          400,
          'invalid_fork_offset',
        ],
        [
          'new',
          { 'stream-forked-from': '/v1/stream/src', 'stream-fork-sub-offset': '1' },
          400,
          'invalid_fork_sub_offset',
        ],
      ];
      for (const [path, headers, status, expected] of refusals) {
        const response = await put(path, headers);
        expect([response.status, await code(response)], JSON.stringify(headers)).toEqual([status, expected]);
      }
      expect((await fetch(served.stream('new'), { method: 'HEAD' })).status).toBe(404);

      // Deleted while it has a fork: 410 for itself, 409 for a create or a fork of it.
      expect((await fetch(served.stream('src'), { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(served.stream('src'), { method: 'HEAD' })).status).toBe(410);
      const recreate = await put('src', { 'content-type': 'application/json' });
      expect([recreate.status, await code(recreate)]).toEqual([409, 'stream_deleted']);
      const refork = await put('fork-2', { 'stream-forked-from': '/v1/stream/src' });
      expect([refork.status, await code(refork)]).toEqual([409, 'source_deleted']);
      expect((await fetch(served.stream('fork'), { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(served.stream('src'), { method: 'HEAD' })).status).toBe(404);
    } finally {
      await served.close();
    }
  });
});
