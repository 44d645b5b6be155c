/**
 * @module
 * `@replayrail/cli`: the `replayrail` command, and `runCli` to run it from a program
 * (or a test) with its own input and output.
 */

export { runCli } from './cli.js';
export type { ChannelInfo } from './commands/info.js';
export { EXIT, type ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';
