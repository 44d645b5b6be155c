import { ReplayWindowExpiredError } from '@replayrail/core/errors';
import { assertReplayable } from '@replayrail/core/store';
import { describe, expect, it } from 'vitest';
import { figuresFromReply } from './scripts.js';

describe('figuresFromReply', () => {
  it('reads the Redis 7 figures as they are', () => {
    expect(figuresFromReply([1, 3, 5, '10-0', '14-0', '11-0', 1, []], true)).toEqual({
      exists: true,
      length: 3,
      entriesAdded: 5,
      firstId: '10-0',
      lastGeneratedId: '14-0',
      maxDeletedId: '11-0',
      cursorPresent: true,
    });
    expect(figuresFromReply([0], false)).toMatchObject({ exists: false, lastGeneratedId: '0-0' });
  });

  it('falls back to the conservative check on servers before 7.0', () => {
    // Redis 6.2: no entries-added (-1) nor max-deleted-entry-id (''), nothing trimmed.
    const figures = figuresFromReply([1, 3, -1, '10-0', '12-0', '', 0, []], false);
    expect(figures).toMatchObject({ entriesAdded: 4, maxDeletedId: '0-0', cursorPresent: true });
    // A cursor before the first entry is reported expired, though nothing may have been trimmed…
    expect(() => assertReplayable('c', '9-0', figures)).toThrow(ReplayWindowExpiredError);
    // …and one inside the stream is served, since lost history cannot be told there.
    expect(() => assertReplayable('c', '11-5', figures)).not.toThrow();
  });
});
