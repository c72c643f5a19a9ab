#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// A closed pipe (`paratransfer … | head`) ends output quietly, as other Unix tools do.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv).then((code) => {
  process.exitCode = code;
});
