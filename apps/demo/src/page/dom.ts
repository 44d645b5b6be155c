/**
 * @module
 * The page's few DOM helpers, shared by its panels: an element by ID, and an
 * element built with its attributes and children.
 */

type Child = Node | string;

/** The page's element of that ID (the HTML has it). */
export const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** An element with attributes (`data-*`, `title`, `class`…) and children. */
export function h(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A time of day to the millisecond, from an ISO 8601 date: `12:03:04.567`. */
export const time = (iso: string) => iso.slice(11, 23);
