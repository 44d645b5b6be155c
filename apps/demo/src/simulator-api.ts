/**
 * @module
 * The JSON the simulator's routes answer with (simulator-routes.ts), in one place
 * for the server that writes it and the page that reads it. Types only: free of
 * Node, so the page can import them.
 */

/**
 * `idle`: no traffic. `running`: new orders start (up to `max_in_flight` at once)
 * until `ends_at` or a stop. `stopping`: no new orders; the ones under way go on to
 * delivered, then it is idle.
 */
export type SimulatorState = 'idle' | 'running' | 'stopping';

/** `GET /simulator`: the one simulator of the server, the same for every tab. */
export interface SimulatorView {
  state: SimulatorState;
  /** The restaurant of the current run (or of the last one, when idle); null before any. */
  restaurant: string | null;
  started_at: string | null;
  /** When a running simulator stops starting orders; null unless running. */
  ends_at: string | null;
  /** Orders of the current (or last) run: started, delivered, given up on a failed publish. */
  orders_started: number;
  orders_delivered: number;
  orders_failed: number;
  in_flight: number;
  limits: { max_in_flight: number; duration_ms: number };
}

/** `POST /simulator/start`: `started` is false when it was already running (another tab pressed first). */
export interface SimulatorStartAnswer {
  started: boolean;
  simulator: SimulatorView;
}

/** `POST /simulator/stop`: `stopped` is false when it was not running. */
export interface SimulatorStopAnswer {
  stopped: boolean;
  simulator: SimulatorView;
}
