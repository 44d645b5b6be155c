/**
 * @module
 * Runs the ticket printer for the demo server, and kills it when the operator
 * asks, to show a reclaim: the killed printer's ticket stays pending on its name,
 * and the next printer (a new name: `printer-2`, `printer-3`, …) claims it once it
 * has been idle for `claimIdleMs`, and prints it on attempt 2.
 *
 * - On Redis the printer is its own process (printer-process.ts, run by
 *   process-supervisor.ts as the kitchen's is), killed with SIGKILL: a real crash,
 *   nothing runs after it. A printer that dies on its own is started again.
 * - On the memory store it runs in the demo's process (a memory store cannot be
 *   shared between processes). A kill stops its consumer with no grace: the ticket
 *   being printed is aborted before it is published and stays pending, its claim no
 *   longer kept, as after a crash; the process itself lives on.
 */

import type { ReplayRail } from '@replayrail/core';
import type { PrinterReport, PrinterStatus } from './operator-api.js';
import { logFailure, type Printer, type PrinterActivity, startPrinter } from './printer.js';
import type { PrinterMessage } from './printer-process.js';
import { type PrinterTimings, printerTimingsEnv } from './printer-timings.js';
import { superviseChildProcess } from './process-supervisor.js';

export interface PrinterSettings extends PrinterTimings {
  restaurant: string;
}

export interface PrinterSupervisor {
  status(): PrinterStatus;
  /** Kills the printer (mid-ticket if it is printing) and starts the next one. */
  kill(): Promise<PrinterStatus>;
  close(): Promise<void>;
}

const KILLED_KEPT = 10;

// What the printers reported, shared by both kinds of supervisor.
class Reports {
  name = '';
  state: PrinterStatus['state'] = 'starting';
  printing: PrinterReport | null = null;
  lastPrinted: PrinterReport | null = null;
  lastFailed: PrinterReport | null = null;
  killed: PrinterStatus['killed'] = [];

  apply(printer: string, activity: PrinterActivity): void {
    // A report from a printer already killed (a message still in flight) is history.
    if (printer !== this.name) return;
    const report: PrinterReport = {
      printer,
      order_id: activity.orderId,
      attempt: activity.attempt,
      at: new Date().toISOString(),
      ...(activity.kind === 'failed' && { error: activity.error }),
    };
    if (activity.kind === 'printing') this.printing = report;
    else {
      this.printing = null;
      if (activity.kind === 'printed') this.lastPrinted = report;
      else this.lastFailed = report;
    }
  }

  next(name: string): void {
    this.name = name;
    this.state = 'starting';
    this.printing = null;
  }

  recordKill(): void {
    this.killed.unshift({ name: this.name, at: new Date().toISOString(), printing: this.printing });
    this.killed.length = Math.min(this.killed.length, KILLED_KEPT);
    this.printing = null;
    this.state = 'stopped';
  }

  status(mode: PrinterStatus['mode'], pid: number | null): PrinterStatus {
    return {
      mode,
      name: this.name,
      pid,
      state: this.state,
      printing: this.printing,
      lastPrinted: this.lastPrinted,
      lastFailed: this.lastFailed,
      killed: this.killed,
    };
  }
}

/** The printer in the demo's process, on the demo's rail (the memory store). */
export function superviseInProcess(rail: ReplayRail, settings: PrinterSettings): PrinterSupervisor {
  const reports = new Reports();
  let count = 0;
  let starting: Promise<Printer | undefined> = Promise.resolve(undefined);
  let queue: Promise<unknown> = Promise.resolve();
  const start = () => {
    const name = `printer-${++count}`;
    reports.next(name);
    const log = logFailure(name);
    starting = startPrinter(rail, {
      ...settings,
      name,
      onActivity: (activity) => reports.apply(name, activity),
      // A killed printer's aborted ticket is the kill itself, not a failure to report.
      onError: (error) => {
        if (reports.name === name && reports.state !== 'stopped') log(error);
      },
    }).then(
      (printer) => {
        if (reports.name === name) reports.state = 'running';
        return printer;
      },
      (error: unknown) => {
        console.error(`${name} did not start: ${String(error)}`);
        reports.state = 'stopped';
        return undefined;
      },
    );
  };
  start();
  return {
    status: () => reports.status('in-process', process.pid),
    kill() {
      // One kill at a time: a double click kills two printers, one after the other.
      const killed = queue.then(async () => {
        const printer = await starting;
        reports.recordKill();
        await printer?.stop(0);
        start();
        return reports.status('in-process', process.pid);
      });
      queue = killed.catch(() => {});
      return killed;
    },
    async close() {
      await queue;
      const printer = await starting;
      reports.state = 'stopped';
      await printer?.stop();
    },
  };
}

export interface ProcessSettings extends PrinterSettings {
  redisUrl: string;
  streamPrefix?: string;
  /** The channels' history (`HISTORY_MAX_AGE_MS`), as the demo's rail keeps it. */
  historyMaxAgeMs?: number;
  /** The built printer-process.js. @default the one beside this module */
  script?: URL;
}

/** The printer as its own process (printer-process.ts), on Redis, run by process-supervisor.ts. */
export function superviseProcess(settings: ProcessSettings): PrinterSupervisor {
  const reports = new Reports();
  const children = superviseChildProcess<PrinterMessage>({
    script: settings.script ?? new URL('./printer-process.js', import.meta.url),
    next: (n) => {
      const name = `printer-${n}`;
      const env: Record<string, string> = {
        REDIS_URL: settings.redisUrl,
        RESTAURANT: settings.restaurant,
        PRINTER_NAME: name,
        // Always set, so a printer process runs with the demo's timings, not any it inherits.
        ...printerTimingsEnv(settings),
      };
      if (settings.streamPrefix !== undefined) env.STREAM_PREFIX = settings.streamPrefix;
      if (settings.historyMaxAgeMs !== undefined) env.HISTORY_MAX_AGE_MS = String(settings.historyMaxAgeMs);
      return { name, env };
    },
    onStart: (name) => reports.next(name),
    onMessage: (name, message) => {
      if (message.kind !== 'ready') reports.apply(name, message);
      else if (reports.name === name) reports.state = 'running';
    },
    onExit: () => {
      reports.state = 'stopped';
      reports.printing = null;
    },
    onKill: () => reports.recordKill(),
  });
  return {
    status: () => reports.status('process', children.pid()),
    async kill() {
      await children.kill();
      return reports.status('process', children.pid());
    },
    close: () => children.close(),
  };
}
