/**
 * @module
 * The settings the demo's entry points (server.ts, printer-process.ts,
 * kitchen-process.ts) read from the environment, checked the same way: a bad value
 * stops the process at once with a message naming it (exit code 2), never a printer
 * or a kitchen that misbehaves later.
 */

function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

/** `name` as an integer from `min` to `max`, or undefined when unset or empty. */
export function envInteger(name: string, min: number, max: number, unit = 'an integer'): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    refuse(`${name} must be ${unit} from ${min} to ${max}, got ${value}`);
  }
  return number;
}

/** `name` as milliseconds from `min` to 10 minutes, or undefined when unset or empty. */
export function envMilliseconds(name: string, min = 0): number | undefined {
  return envInteger(name, min, 600_000, 'milliseconds');
}

/** `RESTAURANT`: whose orders the ticket printer prints (one segment of a channel name). @default '123' */
export function envRestaurant(): string {
  const restaurant = process.env.RESTAURANT || '123';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(restaurant)) {
    refuse(`RESTAURANT must be 1-64 characters of A-Z a-z 0-9 _ -, got ${restaurant}`);
  }
  return restaurant;
}
