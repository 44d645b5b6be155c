/**
 * @module
 * Channel names as metric labels. Channels are often per entity
 * (`restaurant:123:orders`) and can be chosen by clients, so a label per channel
 * would grow without bound. A metric gets the channel's template
 * (`restaurant:{id}:orders`: every segment holding a digit, or longer than 32
 * characters, is `{id}`), its name only when it is on an allow-list, and past
 * `maxTemplates` distinct templates, `{other}`.
 */

/** How channels become metric labels. */
export interface DestinationOptions {
  /** Channels whose own name is a label (`messaging.destination.name`). @default none */
  channels?: readonly string[];
  /** A channel's template; must give few distinct values. @default segments with digits as `{id}` */
  template?: (channel: string) => string;
  /** Distinct templates before the rest are `{other}`. @default 100 */
  maxTemplates?: number;
}

/** Attributes of a destination on a metric point. */
export type DestinationAttributes = Readonly<Record<string, string>>;

const ID_SEGMENT = /[0-9]/;
const MAX_SEGMENT = 32;
// Channels whose attributes are remembered; past it, they are worked out each time.
const MAX_CACHED = 10_000;

/** `restaurant:123:orders` → `restaurant:{id}:orders`. */
export function channelTemplate(channel: string): string {
  return channel
    .split(':')
    .map((segment) => (ID_SEGMENT.test(segment) || segment.length > MAX_SEGMENT ? '{id}' : segment))
    .join(':');
}

/** Labels for channels, bounded as the module says. */
export class Destinations {
  readonly #named: ReadonlySet<string>;
  readonly #template: (channel: string) => string;
  readonly #maxTemplates: number;
  readonly #templates = new Set<string>();
  readonly #cache = new Map<string, DestinationAttributes>();

  constructor(options: DestinationOptions = {}) {
    this.#named = new Set(options.channels ?? []);
    this.#template = options.template ?? channelTemplate;
    this.#maxTemplates = options.maxTemplates ?? 100;
  }

  /** The channel's labels: its template, and its name when allow-listed. */
  attributes(channel: string): DestinationAttributes {
    const cached = this.#cache.get(channel);
    if (cached !== undefined) return cached;
    const attributes: Record<string, string> = { 'messaging.destination.template': this.templateOf(channel) };
    if (this.#named.has(channel)) attributes['messaging.destination.name'] = channel;
    const frozen = Object.freeze(attributes);
    if (this.#cache.size < MAX_CACHED) this.#cache.set(channel, frozen);
    return frozen;
  }

  /** The channel's template, or `{other}` once `maxTemplates` others were seen. */
  templateOf(channel: string): string {
    let template: string;
    try {
      template = String(this.#template(channel));
    } catch {
      return '{other}';
    }
    if (this.#templates.has(template)) return template;
    if (this.#templates.size >= this.#maxTemplates) return '{other}';
    this.#templates.add(template);
    return template;
  }
}
