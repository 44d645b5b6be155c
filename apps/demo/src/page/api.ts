/**
 * @module
 * The page's calls to the demo's own JSON routes: the answer, or an error saying
 * which request failed and why (the route's `error.message`).
 */

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) throw new Error(`${method} ${path}: ${json.error?.message ?? response.status}`);
  return json;
}
