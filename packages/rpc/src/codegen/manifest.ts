/**
 * @module
 * The manifest: the sha256 of each method's params and result JSON Schema
 * (canonical JSON), per contract, and who generated it. Two sides built from the
 * same contract have the same hashes; a changed schema changes its hash.
 */

import type { IrContract } from './ir.js';
import { schemaHash } from './json-schema.js';
import { GENERATOR } from './version.js';

export interface ManifestMethod {
  readonly kind: 'method' | 'notification';
  readonly paramsSha256: string;
  /** `null` for a notification. */
  readonly resultSha256: string | null;
}

export interface Manifest {
  readonly generator: { readonly name: string; readonly version: string };
  readonly contracts: Readonly<
    Record<string, { readonly source: string; readonly methods: Readonly<Record<string, ManifestMethod>> }>
  >;
}

export function buildManifest(contracts: readonly IrContract[]): Manifest {
  return {
    generator: { name: GENERATOR.name, version: GENERATOR.version },
    contracts: Object.fromEntries(
      contracts.map((contract) => [
        contract.service,
        {
          source: contract.sourceName,
          methods: Object.fromEntries(
            contract.methods.map((method) => [
              method.name,
              {
                kind: method.notification ? 'notification' : 'method',
                paramsSha256: schemaHash(method.params.schema),
                resultSha256: method.result === null ? null : schemaHash(method.result.schema),
              },
            ]),
          ),
        },
      ]),
    ),
  };
}

/** The manifest's file text: two-space JSON and a final newline. */
export function manifestText(contracts: readonly IrContract[]): string {
  return `${JSON.stringify(buildManifest(contracts), null, 2)}\n`;
}
