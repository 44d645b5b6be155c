import { describe, expect, it } from 'vitest';
import { channelTemplate, Destinations } from './destinations.js';

describe('metric labels of channels', () => {
  it('templates segments that hold digits or are long', () => {
    expect(channelTemplate('restaurant:123:orders')).toBe('restaurant:{id}:orders');
    expect(channelTemplate('orders')).toBe('orders');
    expect(channelTemplate(`user:${'a'.repeat(40)}:inbox`)).toBe('user:{id}:inbox');
    expect(channelTemplate('tenant:acme:c0ffee')).toBe('tenant:acme:{id}');
  });

  it('names only allow-listed channels', () => {
    const destinations = new Destinations({ channels: ['orders'] });
    expect(destinations.attributes('orders')).toEqual({
      'messaging.destination.template': 'orders',
      'messaging.destination.name': 'orders',
    });
    expect(destinations.attributes('restaurant:1:orders')).toEqual({
      'messaging.destination.template': 'restaurant:{id}:orders',
    });
  });

  it('stays bounded whatever channels clients choose: past maxTemplates, {other}', () => {
    const destinations = new Destinations({ maxTemplates: 3 });
    const seen = new Set<string>();
    for (let i = 0; i < 1_000; i++) {
      // Names without digits: the template keeps them, so only the cap bounds them.
      const name = `room-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (Math.floor(i / 26) % 26))}`;
      seen.add(destinations.templateOf(name));
    }
    expect(seen.size).toBe(4);
    expect(seen.has('{other}')).toBe(true);
  });

  it('takes a template of your own, and survives one that throws', () => {
    const byTenant = new Destinations({ template: (channel) => channel.split(':')[0] ?? channel });
    expect(byTenant.attributes('acme:orders:1')['messaging.destination.template']).toBe('acme');
    const broken = new Destinations({
      template: () => {
        throw new Error('bug');
      },
    });
    expect(broken.attributes('orders')['messaging.destination.template']).toBe('{other}');
  });
});

describe('label objects', () => {
  it('are shared by every channel with the same labels, past the channel cache too', () => {
    const destinations = new Destinations();
    const seen = new Set<object>();
    for (let i = 0; i < 12_000; i++) seen.add(destinations.attributes(`restaurant:${i}:orders`));
    expect(seen.size).toBe(1);
  });
});
