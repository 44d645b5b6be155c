/** A key prefix unique to one test, under which it may create and delete keys. */
export function uniquePrefix(label = 'rrtest'): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
