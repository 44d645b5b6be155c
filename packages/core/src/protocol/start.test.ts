import { describe, expect, it } from 'vitest';
import { snapshotFromQuery, startFromQuery } from './start.js';

const query = (text: string) => new URLSearchParams(text);

describe('a start in a query', () => {
  it('reads from=snapshot, which a reconnecting EventSource replaces with its last event ID', () => {
    expect(startFromQuery(query('from=snapshot'), 'subscription')).toEqual({ from: 'snapshot' });
    expect(startFromQuery(query('from=snapshot'), 'subscription', '5-0')).toEqual({ after: '5-0' });
  });

  it("reads where a snapshot's page goes on, each name once; the rail checks that they fit", () => {
    expect(snapshotFromQuery(query('from=snapshot'))).toEqual({});
    expect(snapshotFromQuery(query('snapshot_cursor=5-0&after_key=o%2F1'))).toEqual({
      snapshotCursor: '5-0',
      afterKey: 'o/1',
    });
    expect(snapshotFromQuery(query('after_key='))).toEqual({ afterKey: '' });
    for (const twice of ['snapshot_cursor=5-0&snapshot_cursor=6-0', 'after_key=a&after_key=a']) {
      expect(() => snapshotFromQuery(query(twice))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });
});
