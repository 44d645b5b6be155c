/**
 * @module
 * `@replayrail/rpc/codegen`: zod contracts → Python (Pydantic v2 models, a typed
 * client, a service ABC, METHODS and the contract, in the shape clamator's Python
 * runtime takes), TypeScript types, and a manifest of schema hashes. The
 * `replayrail-rpc codegen` command runs it (cli.ts).
 */

export type { CliIo, ExitCode } from './cli.js';
export { EXIT, runCli, USAGE } from './cli.js';
export { emitPython, pythonLiteral, pythonModuleName } from './emit-python.js';
export { contractSpecifier, emitTypeScript, typescriptModuleName } from './emit-typescript.js';
export { CodegenError } from './errors.js';
export type { CodegenOptions, GeneratedFile } from './generate.js';
export { generate } from './generate.js';
export type { Constraints, IrContract, IrField, IrMethod, IrModel, IrType, JsonValue } from './ir.js';
export type { JsonSchema } from './json-schema.js';
export { canonicalJson, schemaHash, toJsonSchema } from './json-schema.js';
export { loadContracts } from './load.js';
export type { SourcedContract } from './lower.js';
export { lowerContract } from './lower.js';
export type { Manifest, ManifestMethod } from './manifest.js';
export { buildManifest, manifestText } from './manifest.js';
export { pascalCase, pythonFieldName, pythonName, snakeCase } from './names.js';
export type { FileProblem } from './output.js';
export { leftoverGenerated, staleGenerated, writeGenerated } from './output.js';
export { GENERATOR } from './version.js';
