#!/usr/bin/env node
// The `replayrail` command: checks the Node.js it runs on, then runs the built CLI
// (dist/bin.js). In a clone of the repository it says how to build it first.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `replayrail: needs Node.js 22 or later, this is ${process.version}` +
      ' (in a clone of the repository: export PATH=$PWD/.tools/node_modules/.bin:$PATH, after make install)\n',
  );
  process.exit(1);
}
try {
  await import('../dist/bin.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/bin.js')) throw error;
  process.stderr.write('replayrail: the CLI is not built yet: run `pnpm build` (or `make install && pnpm build`)\n');
  process.exit(1);
}
