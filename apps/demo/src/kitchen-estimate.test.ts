import { describe, expect, it } from 'vitest';
import { COOKS, cookMinutes, DISH_MINUTES, estimateMinutes, UNKNOWN_DISH_MINUTES } from './kitchen-estimate.js';

// The kitchen's model, as kitchen-estimate.ts and the README state it.
describe("the kitchen's estimate", () => {
  it('cooks an order as long as its longest dish, plus a minute for each further portion', () => {
    expect(cookMinutes([])).toBe(0);
    expect(cookMinutes([{ name: 'Tiramisu', qty: 1 }])).toBe(DISH_MINUTES.Tiramisu);
    expect(
      cookMinutes([
        { name: 'Margherita', qty: 2 },
        { name: 'Caesar salad', qty: 1 },
      ]),
    ).toBe(9 + 2);
    // Not on the menu (any case of a dish that is counts as it).
    expect(cookMinutes([{ name: 'Œufs en meurette', qty: 1 }])).toBe(UNKNOWN_DISH_MINUTES);
    expect(cookMinutes([{ name: 'risotto', qty: 1 }])).toBe(DISH_MINUTES.Risotto);
  });

  it('waits for the orders ahead, shared among the cooks, one being prepared counted at half', () => {
    const pizza = [{ name: 'Margherita', qty: 1 }];
    expect(estimateMinutes(pizza, [])).toEqual({
      minutes: 9,
      cookMinutes: 9,
      waitMinutes: 0,
      ordersAhead: 0,
      unknownDishes: [],
    });
    const ahead = [
      { items: [{ name: 'Risotto', qty: 1 }], preparing: true }, // 9 of 18 left
      { items: [{ name: 'Lasagne', qty: 1 }], preparing: false }, // 14
    ];
    expect(COOKS).toBe(2);
    expect(estimateMinutes(pizza, ahead)).toMatchObject({ waitMinutes: Math.ceil((9 + 14) / 2), minutes: 12 + 9 });
  });

  it('names the dishes it does not know, once each', () => {
    const items = [
      { name: 'Haggis', qty: 1 },
      { name: 'Haggis', qty: 2 },
      { name: 'Carbonara', qty: 1 },
    ];
    expect(estimateMinutes(items, []).unknownDishes).toEqual(['Haggis']);
  });
});
