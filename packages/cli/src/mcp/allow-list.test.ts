import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../parse.js';
import { AllowList } from './allow-list.js';

describe('the MCP allow-list (--channels)', () => {
  it("lets * stand for any run of characters, ':' and '/' included, unlike a channel policy's", () => {
    const allow = new AllowList(['restaurant:*']);
    expect(allow.allows('restaurant:123:orders')).toBe(true);
    expect(allow.allows('restaurant:1/tables')).toBe(true);
    expect(allow.allows('restaurant')).toBe(false);
    expect(allow.allows('billing:restaurant:1')).toBe(false);
    expect(new AllowList(['*:orders']).allows('restaurant:1:orders')).toBe(true);
    // A pattern without * is one channel; a regular expression's characters are plain.
    expect(new AllowList(['jobs']).allows('jobs2')).toBe(false);
    expect(new AllowList(['a.b']).allows('axb')).toBe(false);
  });

  it('takes patterns repeated and comma-separated; none serves every channel', () => {
    const allow = new AllowList(['restaurant:*, jobs', 'audit']);
    expect(allow.patterns).toEqual(['restaurant:*', 'jobs', 'audit']);
    expect(['restaurant:1:orders', 'jobs', 'audit', 'other'].map((channel) => allow.allows(channel))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(new AllowList().allows('anything:at:all')).toBe(true);
    expect(new AllowList().describe()).toBe('every channel');
  });

  it('refuses a channel outside it with an MCP error naming the patterns', () => {
    const allow = new AllowList(['restaurant:*']);
    expect(allow.check('restaurant:1:orders')).toBe('restaurant:1:orders');
    expect(() => allow.check('billing:1')).toThrow(McpError);
    expect(() => allow.check('billing:1')).toThrow(
      /billing:1 is not served here: this server serves only restaurant:\*/,
    );
  });

  it('refuses a pattern that could name no channel', () => {
    for (const bad of ['', 'restaurant:?', 'a b', 'x,,y']) {
      expect(() => new AllowList([bad]), bad).toThrow(UsageError);
    }
  });
});
