#!/usr/bin/env node
// Launcher: the CLI lives in dist/ (built by `npm install` through the prepare script).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv, {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
