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
  // By channel (the fast path), and by label set: past the channel cache, channels
  // still share one object per label set, so counters keyed by it stay bounded.
  readonly #cache = new Map<string, DestinationAttributes>();
  readonly #byLabels = new Map<string, DestinationAttributes>();

  constructor(options: DestinationOptions = {}) {
    this.#named = new Set(options.channels ?? []);
    this.#template = options.template ?? channelTemplate;
    this.#maxTemplates = options.maxTemplates ?? 100;
  }

  /**
   * The channel's labels: its template, and its name when allow-listed. The same
   * object for the same labels, and at most `maxTemplates` + 1 + the allow-list of them.
   */
  attributes(channel: string): DestinationAttributes {
    const cached = this.#cache.get(channel);
    if (cached !== undefined) return cached;
    const template = this.templateOf(channel);
    const named = this.#named.has(channel);
    const key = named ? `${template}\u0000${channel}` : template;
    let attributes = this.#byLabels.get(key);
    if (attributes === undefined) {
      const labels: Record<string, string> = { 'messaging.destination.template': template };
      if (named) labels['messaging.destination.name'] = channel;
      attributes = Object.freeze(labels);
      this.#byLabels.set(key, attributes);
    }
    if (this.#cache.size < MAX_CACHED) this.#cache.set(channel, attributes);
    return attributes;
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
