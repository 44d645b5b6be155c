/**
 * @module
 * `@replayrail/core/lineage`: a workflow's causation graph (docs/lineage.md). The
 * convention (`metadata.correlation_id`, `metadata.causation_id`) and its readers,
 * the shape `rail.lineage` returns, and `toMermaid`, which draws it.
 *
 * @example
 * import { toMermaid } from '@replayrail/core/lineage';
 * console.log(toMermaid(await rail.lineage('req_abc123')));
 */

export type { EventLocation, LineageMark } from '../store/lineage-store.js';
export type { Cause } from './causation.js';
export { CAUSATION_ID, CORRELATION_ID, causationOf, correlationOf } from './causation.js';
export type { Lineage, LineageEdge, LineageNode } from './lineage.js';
export type { MermaidOptions } from './mermaid.js';
export { toMermaid } from './mermaid.js';
