/**
 * @module
 * "Simulate traffic", run by the server rather than by a tab: a reload, a second
 * tab or a closed laptop lid stops nothing, and every order goes on to delivered.
 * Any tab starts it and stops it (simulator-routes.ts); all of them see its state.
 *
 * Each order is published through the rail step by step, as a waiter, the kitchen
 * and a courier would (simulated-order.ts), each step with its own event_id, so a
 * retried publish stores nothing twice, and caused by the step before (`causedBy`):
 * the order's correlation goes on, and its lineage (the operator's causation graph)
 * is a chain from created to delivered. Each order is one trace: every step
 * continues the order's W3C traceparent, as `POST /events` continues a request's,
 * so each event's `metadata.trace_context` carries the order's trace ID (the
 * operator's timeline shows it).
 *
 * Bounded (simulator-limits.ts): at most `maxInFlight` orders under way, new ones
 * for `durationMs`; a stop lets the orders under way finish; closing the server
 * abandons them.
 */

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplayRail, StoredEvent } from '@replayrail/core';
import { ShuttingDownError } from '@replayrail/core/errors';
import { type OrderStep, simulatedOrder } from './simulated-order.js';
import type { SimulatorState, SimulatorView } from './simulator-api.js';
import { DEFAULT_SIMULATOR_LIMITS, type SimulatorLimits } from './simulator-limits.js';
import { newTraceId, newTraceparent } from './traceparent.js';

/**
 * What a start did: `started` a run (or took up again one that was stopping);
 * `already-running` for that restaurant (another tab pressed first): nothing;
 * `busy` with another restaurant's run: nothing either.
 */
export type StartOutcome = 'started' | 'already-running' | 'busy';

// Between two new orders, at random: guests arrive one by one, not all at once.
const ORDER_GAP_MS = { min: 400, max: 1_200 };
// A publish that failed (the store away for a moment) is tried again, under the same event_id.
const PUBLISH_ATTEMPTS = 3;
const RETRY_MS = 500;

export class TrafficSimulator {
  readonly #rail: ReplayRail;
  readonly #limits: SimulatorLimits;
  readonly #closing = new AbortController();
  /** The orders under way. */
  readonly #orders = new Set<Promise<void>>();
  #state: SimulatorState = 'idle';
  #restaurant: string | null = null;
  #startedAt: Date | null = null;
  #endsAt = 0;
  #started = 0;
  #delivered = 0;
  #failed = 0;
  /** Orders this simulator started, ever: makes each order's ID unique. */
  #sequence = 0;
  #nextOrder: ReturnType<typeof setTimeout> | undefined;

  constructor(rail: ReplayRail, limits: Partial<SimulatorLimits> = {}) {
    this.#rail = rail;
    this.#limits = { ...DEFAULT_SIMULATOR_LIMITS, ...limits };
  }

  /** Starts traffic for `restaurant`, unless it runs already; safe to call from two tabs at once. */
  start(restaurant: string): StartOutcome {
    if (this.#closing.signal.aborted) throw new ShuttingDownError('the demo is stopping: no more traffic');
    if (this.#state !== 'idle' && this.#restaurant !== restaurant) return 'busy';
    if (this.#state === 'running') return 'already-running';
    if (this.#state === 'idle') {
      this.#restaurant = restaurant;
      this.#startedAt = new Date();
      this.#started = 0;
      this.#delivered = 0;
      this.#failed = 0;
    }
    // From idle a new run; from stopping the same run goes on, with its orders under way.
    this.#state = 'running';
    this.#endsAt = Date.now() + this.#limits.durationMs;
    this.#tick();
    return 'started';
  }

  /** Starts no more orders; the ones under way go on to delivered. False when it was not running. */
  stop(): boolean {
    if (this.#state !== 'running') return false;
    this.#stopStarting();
    return true;
  }

  view(): SimulatorView {
    return {
      state: this.#state,
      restaurant: this.#restaurant,
      started_at: this.#startedAt?.toISOString() ?? null,
      ends_at: this.#state === 'running' ? new Date(this.#endsAt).toISOString() : null,
      orders_started: this.#started,
      orders_delivered: this.#delivered,
      orders_failed: this.#failed,
      in_flight: this.#orders.size,
      limits: { max_in_flight: this.#limits.maxInFlight, duration_ms: this.#limits.durationMs },
    };
  }

  /** With the server: abandons the orders under way (their next step is never published) and waits for them. */
  async close(): Promise<void> {
    this.#closing.abort();
    clearTimeout(this.#nextOrder);
    this.#state = 'idle';
    await Promise.allSettled(this.#orders);
  }

  // While running: starts an order if there is room, and comes back after a gap.
  #tick(): void {
    clearTimeout(this.#nextOrder);
    if (this.#state !== 'running') return;
    if (Date.now() >= this.#endsAt) {
      this.#stopStarting();
      return;
    }
    if (this.#orders.size < this.#limits.maxInFlight) this.#startOrder();
    const gap = ORDER_GAP_MS.min + Math.random() * (ORDER_GAP_MS.max - ORDER_GAP_MS.min);
    this.#nextOrder = setTimeout(() => this.#tick(), gap);
  }

  #stopStarting(): void {
    clearTimeout(this.#nextOrder);
    this.#state = this.#orders.size === 0 ? 'idle' : 'stopping';
  }

  #startOrder(): void {
    const n = this.#sequence++;
    const orderId = `ord_${Date.now().toString(36)}${n.toString(36)}`;
    this.#started += 1;
    const order: Promise<void> = this.#runOrder(simulatedOrder(this.#restaurant as string, orderId, n))
      .then(
        () => {
          this.#delivered += 1;
        },
        (error: unknown) => {
          if (this.#closing.signal.aborted) return; // abandoned with the server: no failure
          this.#failed += 1;
          console.error(`simulator: order ${orderId} given up: ${String(error)}`);
        },
      )
      .finally(() => {
        this.#orders.delete(order);
        if (this.#state === 'stopping' && this.#orders.size === 0) this.#state = 'idle';
      });
    this.#orders.add(order);
  }

  async #runOrder(steps: OrderStep[]): Promise<void> {
    const correlationId = `req_${randomUUID().slice(0, 8)}`;
    const traceId = newTraceId();
    let cause: StoredEvent | undefined;
    for (const step of steps) {
      await sleep(step.pauseMs, undefined, { signal: this.#closing.signal });
      cause = await this.#publish(step, correlationId, traceId, cause);
    }
  }

  // The step as stored: the first publish's event, even when a retry found it stored
  // already (a retry names the same cause, so its fingerprint is the same).
  async #publish(step: OrderStep, correlationId: string, traceId: string, cause?: StoredEvent): Promise<StoredEvent> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#rail.publish({
          channel: step.channel,
          type: step.type,
          payload: step.payload,
          actor: step.actor,
          metadata: { correlation_id: correlationId, source: 'simulator' },
          eventId: `${step.payload.order_id}.${step.type}`,
          ...(cause && { causedBy: cause }),
          // A span of its own in the order's trace, as a client's request would bring it.
          trace: { traceparent: newTraceparent(traceId) },
        });
      } catch (error) {
        if (attempt === PUBLISH_ATTEMPTS) throw error;
        await sleep(RETRY_MS * attempt, undefined, { signal: this.#closing.signal });
      }
    }
  }
}
