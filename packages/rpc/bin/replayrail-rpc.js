#!/usr/bin/env node
// The `replayrail-rpc` command (`replayrail-rpc codegen …`): checks the Node.js it
// runs on, then runs the built CLI (dist/codegen/cli.js). Node 22.18 or later, so
// that contract modules written in TypeScript import without a build.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `replayrail-rpc: needs Node.js 22.18 or later, this is ${process.version}` +
      ' (in a clone of the repository: export PATH=$PWD/.tools/node_modules/.bin:$PATH, after make install)\n',
  );
  process.exit(2);
}
let cli;
try {
  cli = await import('../dist/codegen/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/codegen/cli.js')) throw error;
  process.stderr.write(
    'replayrail-rpc: the CLI is not built yet: run `pnpm build` (or `make install && pnpm build`)\n',
  );
  process.exit(2);
}
// Exits at once when done: a contract module may have left something open (a timer, a connection).
process.exit(await cli.runCli(process.argv.slice(2)));
