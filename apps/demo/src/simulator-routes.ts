/**
 * @module
 * The simulator's routes: the page's **Simulate traffic** button, for every tab.
 *
 * - `GET /simulator` its state (simulator-api.ts), which every tab polls;
 * - `POST /simulator/start?restaurant=` starts traffic for the restaurant (the
 *   demo's by default); started already, it answers `started: false` and the same
 *   run goes on, so two tabs pressing at once start one run; running for another
 *   restaurant, it is a 409 `simulator_busy`;
 * - `POST /simulator/stop` starts no more orders; the ones under way are delivered.
 */

import { Hono } from 'hono';
import { answerError, check, restaurantSchema } from './route-input.js';
import type { TrafficSimulator } from './simulator.js';
import type { SimulatorStartAnswer, SimulatorStopAnswer, SimulatorView } from './simulator-api.js';

export interface SimulatorRoutesOptions {
  simulator: TrafficSimulator;
  /** Whose orders a start without `?restaurant=` makes. */
  restaurant: string;
}

/** The simulator's routes, to mount at `/`. */
export function createSimulatorRoutes(options: SimulatorRoutesOptions): Hono {
  const { simulator } = options;
  const app = new Hono();

  app.get('/simulator', (c) => c.json(simulator.view() satisfies SimulatorView));

  app.post('/simulator/start', (c) => {
    const restaurant = check(restaurantSchema, c.req.query('restaurant') ?? options.restaurant, 'restaurant');
    const outcome = simulator.start(restaurant);
    if (outcome === 'busy') {
      const running = simulator.view().restaurant;
      const message = `the simulator is running for restaurant ${running}: stop it first (POST /simulator/stop)`;
      return c.json({ error: { code: 'simulator_busy', message } }, 409);
    }
    return c.json({ started: outcome === 'started', simulator: simulator.view() } satisfies SimulatorStartAnswer);
  });

  app.post('/simulator/stop', (c) =>
    c.json({ stopped: simulator.stop(), simulator: simulator.view() } satisfies SimulatorStopAnswer),
  );

  app.onError(answerError);
  return app;
}
