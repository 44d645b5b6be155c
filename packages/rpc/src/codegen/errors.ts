/**
 * @module
 * The codegen's one error: bad input (no contracts, a module that fails to import,
 * a schema it cannot turn into Python), with a message that names where.
 */

/** Bad input for the codegen; the CLI prints its message and exits 2. */
export class CodegenError extends Error {
  override readonly name = 'CodegenError';
}
