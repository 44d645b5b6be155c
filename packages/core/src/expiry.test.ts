import { describe, expect, it } from 'vitest';
import { ReplayWindowExpiredError, StreamResetError } from './errors.js';
import { assertReplayable, assertReplayableSince, type StreamFigures } from './expiry.js';

// A stream that generated 10-0 … 19-0, with nothing removed.
const intact: StreamFigures = {
  exists: true,
  length: 10,
  entriesAdded: 10,
  firstId: '10-0',
  lastGeneratedId: '19-0',
  maxDeletedId: '0-0',
  cursorPresent: true,
};

function outcome(cursor: string, figures: Partial<StreamFigures>): 'ok' | 'expired' | 'reset' {
  try {
    assertReplayable('c', cursor, { ...intact, ...figures });
    return 'ok';
  } catch (error) {
    if (error instanceof StreamResetError) return 'reset';
    if (error instanceof ReplayWindowExpiredError) return 'expired';
    throw error;
  }
}

describe('assertReplayable', () => {
  it('never expires 0-0, nor any cursor of a stream that lost nothing', () => {
    expect(outcome('0-0', { exists: false })).toBe('ok');
    expect(outcome('0-0', { length: 2, firstId: '18-0' })).toBe('ok');
    expect(outcome('3-0', { cursorPresent: false })).toBe('ok');
    expect(outcome('15-0', {})).toBe('ok');
    expect(outcome('19-0', {})).toBe('ok');
  });

  it('expires a cursor older than the first retained entry once entries were removed', () => {
    const trimmed = { length: 5, firstId: '15-0' };
    expect(outcome('14-0', { ...trimmed, cursorPresent: false })).toBe('expired');
    expect(outcome('10-0', { ...trimmed, cursorPresent: false })).toBe('expired');
    expect(outcome('15-0', trimmed)).toBe('ok');
    expect(outcome('17-0', trimmed)).toBe('ok');
    expect(outcome('18-0', { length: 0, firstId: null, cursorPresent: false })).toBe('expired');
  });

  it('never expires the last generated ID, even of a stream retention emptied: nothing came after it', () => {
    const emptied = { length: 0, firstId: null, cursorPresent: false };
    expect(outcome('19-0', emptied)).toBe('ok');
    expect(outcome('19-0', { ...emptied, maxDeletedId: '19-0' })).toBe('ok');
  });

  it('expires a cursor older than an XDEL, and only then', () => {
    const deleted = { length: 9, maxDeletedId: '15-0' };
    expect(outcome('14-0', deleted)).toBe('expired');
    expect(outcome('15-0', { ...deleted, cursorPresent: false })).toBe('ok');
    expect(outcome('16-0', deleted)).toBe('ok');
  });

  it('resets when the store lost history', () => {
    expect(outcome('5-0', { exists: false })).toBe('reset');
    expect(outcome('20-0', {})).toBe('reset');
    expect(outcome('19-1', {})).toBe('reset');
    expect(outcome('15-5', { cursorPresent: false })).toBe('reset');
    // A hole explained by an XDEL after the cursor is expiry, not a reset.
    expect(outcome('15-5', { cursorPresent: false, maxDeletedId: '16-0', length: 9 })).toBe('expired');
  });

  it('handles cursors beyond 2^53', () => {
    const big = { firstId: '9007199254740993-0', lastGeneratedId: '9007199254740995-0' };
    expect(outcome('9007199254740992-0', { ...big, length: 2, entriesAdded: 3, cursorPresent: false })).toBe('expired');
    expect(outcome('9007199254740996-0', big)).toBe('reset');
  });
});

describe('assertReplayableSince', () => {
  const since = (start: string, figures: Partial<StreamFigures>): boolean => {
    try {
      assertReplayableSince('c', start, { ...intact, ...figures });
      return true;
    } catch (error) {
      expect(error).toBeInstanceOf(ReplayWindowExpiredError);
      return false;
    }
  };

  it('expires only when what lay at or after the start may be gone', () => {
    expect(since('0-0', {})).toBe(true);
    expect(since('0-0', { exists: false })).toBe(true);
    expect(since('0-0', { length: 5, firstId: '15-0' })).toBe(false);
    expect(since('15-0', { length: 5, firstId: '15-0' })).toBe(true);
    expect(since('16-0', { length: 5, firstId: '15-0' })).toBe(true);
    expect(since('12-0', { length: 9, maxDeletedId: '13-0' })).toBe(false);
    expect(since('14-0', { length: 9, maxDeletedId: '13-0' })).toBe(true);
  });
});
