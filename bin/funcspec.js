#!/usr/bin/env node
// The one `funcspec` binary: the CLI, the server (`serve`) and the operator commands.
import('../dist/cli/main.js').then((m) => m.main(process.argv.slice(2)));
