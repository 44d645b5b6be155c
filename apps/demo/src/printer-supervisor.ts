/**
 * @module
 * Runs the ticket printer for the demo server, and kills it when the operator
 * asks, to show a reclaim: the killed printer's ticket stays pending on its name,
 * and the next printer (a new name: `printer-2`, `printer-3`, …) claims it once it
 * has been idle for `claimIdleMs`, and prints it on attempt 2.
 *
 * - On Redis the printer is its own process (printer-process.ts), killed with
 *   SIGKILL: a real crash, nothing runs after it. A printer that dies on its own is
 *   started again.
 * - On the memory store it runs in the demo's process (a memory store cannot be
 *   shared between processes). A kill stops its consumer with no grace: the ticket
 *   being printed is aborted before it is published and stays pending, its claim no
 *   longer kept, as after a crash; the process itself lives on.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReplayRail } from '@replayrail/core';
import type { PrinterReport, PrinterStatus } from './operator-api.js';
import { logFailure, type Printer, type PrinterActivity, startPrinter } from './printer.js';
import type { PrinterMessage } from './printer-process.js';
import { type PrinterTimings, printerTimingsEnv } from './printer-timings.js';

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
  /** The built printer-process.js. @default the one beside this module */
  script?: URL;
}

// A printer that dies on its own is started again after this, doubling while it
// keeps dying young (a bad REDIS_URL, say), up to a minute.
const RESTART_MS = 1_000;
const RESTART_MAX_MS = 60_000;
const YOUNG_MS = 5_000;

/** The printer as its own process (printer-process.ts), on Redis. */
export function superviseProcess(settings: ProcessSettings): PrinterSupervisor {
  const reports = new Reports();
  const script = fileURLToPath(settings.script ?? new URL('./printer-process.js', import.meta.url));
  let count = 0;
  let child: ChildProcess | undefined;
  let closing = false;
  let restartMs = RESTART_MS;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const start = () => {
    const name = `printer-${++count}`;
    reports.next(name);
    const startedAt = Date.now();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: settings.redisUrl,
      RESTAURANT: settings.restaurant,
      PRINTER_NAME: name,
      // Always set, so a printer process runs with the demo's timings, not any it inherits.
      ...printerTimingsEnv(settings),
    };
    if (settings.streamPrefix !== undefined) env.STREAM_PREFIX = settings.streamPrefix;
    // The IPC channel carries its reports, and its closing tells the printer the demo is gone.
    const current = spawn(process.execPath, [script], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child = current;
    current.on('message', (message: PrinterMessage) => {
      if (message.kind === 'ready') {
        if (reports.name === name) reports.state = 'running';
        restartMs = RESTART_MS;
      } else reports.apply(name, message);
    });
    current.on('error', (error) => console.error(`${name}: ${error.message}`));
    current.on('exit', (code, signal) => {
      if (child !== current) return; // killed from the operator's view: the next one runs already
      child = undefined;
      reports.state = 'stopped';
      reports.printing = null;
      if (closing) return;
      console.error(`${name} exited (${signal ?? `code ${code}`}); starting another in ${restartMs} ms`);
      restartTimer = setTimeout(start, restartMs);
      if (Date.now() - startedAt < YOUNG_MS) restartMs = Math.min(restartMs * 2, RESTART_MAX_MS);
    });
  };

  const exited = (process_: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (process_.exitCode !== null || process_.signalCode !== null) resolve();
      else process_.once('exit', () => resolve());
    });

  // A function, so TypeScript does not narrow `child` across the awaits below.
  const pid = () => child?.pid ?? null;
  start();
  return {
    status: () => reports.status('process', pid()),
    kill() {
      const killed = queue.then(async () => {
        const current = child;
        clearTimeout(restartTimer);
        reports.recordKill();
        child = undefined;
        if (current !== undefined) {
          current.kill('SIGKILL');
          await exited(current);
        }
        if (!closing) start();
        return reports.status('process', pid());
      });
      queue = killed.catch(() => {});
      return killed;
    },
    async close() {
      closing = true;
      clearTimeout(restartTimer);
      await queue;
      const current = child;
      if (current === undefined) return;
      // SIGTERM lets it finish the ticket it prints; past 10 s it is killed.
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 10_000);
      await exited(current);
      clearTimeout(timer);
      reports.state = 'stopped';
    },
  };
}
