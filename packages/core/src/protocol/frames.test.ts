import { describe, expect, it } from 'vitest';
import { parseStart } from '../start.js';
import { parseClientFrame, subscribedFrame } from './frames.js';

describe('frames of a subscription from a snapshot', () => {
  it('takes from: snapshot in a subscribe frame, to the one start parser', () => {
    const frame = parseClientFrame('{"op":"subscribe","channel":"c","from":"snapshot"}');
    expect(frame).toEqual({ op: 'subscribe', channel: 'c', from: 'snapshot' });
    expect(parseStart(frame as { from: string }, 'subscription')).toEqual({ from: 'snapshot' });
    expect(() => parseClientFrame('{"op":"subscribe","channel":"c","from":1}')).toThrow(/'snapshot'/);
  });

  it('acknowledges one with snapshot: true after the cursor, and any other without the key', () => {
    expect(subscribedFrame('c', '5-0', true)).toBe('{"op":"subscribed","channel":"c","cursor":"5-0","snapshot":true}');
    expect(subscribedFrame('c', '5-0', false)).toBe('{"op":"subscribed","channel":"c","cursor":"5-0"}');
    expect(subscribedFrame('c', null)).toBe('{"op":"subscribed","channel":"c","cursor":null}');
  });
});
