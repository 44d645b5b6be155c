/**
 * @module
 * A printer answering `printer.status` (printer-contract.ts): an `RpcServer` beside
 * its consumer, on the same rail, named as the printer (`printer:printer-2` in the
 * `printer` group). It answers from the printer's own tally and its consumer's hold
 * in the group, so what the operator sees is the printer's word, from its process.
 */

import type { Consumer, ReplayRail, ReplayRailError } from '@replayrail/core';
import { RpcServer } from '@replayrail/rpc';
import { type PrinterStatusAnswer, printerContract } from './printer-contract.js';
import type { PrinterTally } from './printer-tally.js';
import type { PrinterTimings } from './printer-timings.js';

export interface PrinterStatusSource {
  name: string;
  restaurant: string;
  channel: string;
  group: string;
  timings: PrinterTimings;
  tally: PrinterTally;
  consumer: Consumer;
}

// What its consumer holds, as the group says: null when the group cannot be read now.
async function heldBy(consumer: Consumer, name: string): Promise<number | null> {
  try {
    const [stats] = await consumer.stats();
    return stats?.group?.consumers.find((member) => member.name === name)?.pending ?? 0;
  } catch {
    return null;
  }
}

/** The printer's status, now. */
export async function printerStatus(source: PrinterStatusSource): Promise<PrinterStatusAnswer> {
  return {
    name: source.name,
    pid: process.pid,
    restaurant: source.restaurant,
    channel: source.channel,
    group: source.group,
    ...source.tally.view(),
    held: await heldBy(source.consumer, source.name),
    printMs: source.timings.printMs,
    claimIdleMs: source.timings.claimIdleMs,
  };
}

/** Starts answering `printer.status` for this printer; stop it with the printer. */
export async function servePrinterStatus(
  rail: ReplayRail,
  source: PrinterStatusSource,
  onError?: (error: ReplayRailError) => void,
): Promise<RpcServer> {
  const server = new RpcServer({ rail, instanceId: source.name, ...(onError && { onError }) });
  // A status call left on a killed printer is taken by the next one as its tickets
  // are: after claimIdleMs (its caller may have given up by then: it is dropped).
  server.serve(printerContract, { status: () => printerStatus(source) }, { claimIdleMs: source.timings.claimIdleMs });
  await server.start();
  return server;
}
