/**
 * @module
 * The settings the demo's two entry points (server.ts, printer-process.ts) read from
 * the environment, checked the same way: a bad value stops the process at once with
 * a message naming it (exit code 2), never a printer that misbehaves later.
 */

function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

/** `name` as milliseconds from `min` to 10 minutes, or undefined when unset or empty. */
export function envMilliseconds(name: string, min = 0): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < min || ms > 600_000) {
    refuse(`${name} must be milliseconds from ${min} to 600000, got ${value}`);
  }
  return ms;
}

/** `RESTAURANT`: whose orders the ticket printer prints (one segment of a channel name). @default '123' */
export function envRestaurant(): string {
  const restaurant = process.env.RESTAURANT || '123';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(restaurant)) {
    refuse(`RESTAURANT must be 1-64 characters of A-Z a-z 0-9 _ -, got ${restaurant}`);
  }
  return restaurant;
}
