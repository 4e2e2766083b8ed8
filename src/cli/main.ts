#!/usr/bin/env node
// `tsgi [options] MODULE[:EXPORT]`: serve a PEP 3333 app with supervised workers.
// Exit codes: 0 stopped cleanly, 2 bad usage (a bad TLS certificate or key included), 3 a
// worker could not boot (e.g. cannot listen), 4 the application could not be loaded.

import { readFileSync } from 'node:fs';
import { TlsConfigError } from '../errors.js';
import { createLogger } from './logger.js';
import { helpText, parseCli, UsageError } from './options.js';
import { clearStaleSocket, freePort, planEngine } from './plan.js';
import { AppLoadError, execArgvFor, parseAppSpec, resolveModule } from './load-app.js';
import { Supervisor } from './supervisor.js';
import { checkTlsOptions, readTlsOptions } from './tls.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `tsgi ${pkg.version} (Node ${process.versions.node})`;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(process.argv.slice(2), process.env);
    if (parsed.kind === 'help') { process.stdout.write(helpText()); return 0; }
    if (parsed.kind === 'version') { process.stdout.write(version() + '\n'); return 0; }
    const config = parsed.config;
    // Fail fast, in the supervisor, on what every worker would fail on.
    try {
      resolveModule(parseAppSpec(config.module).module, process.cwd());
      execArgvFor(config.module);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    // The certificate files, read and checked as every worker will read them.
    const tlsOptions = config.tls ? readTlsOptions(config.tls, process.env) : undefined;
    const tls = config.tls && tlsOptions ? checkTlsOptions(tlsOptions, config.tls) : undefined;
    const plan = await planEngine(config, tlsOptions);
    for (const bind of config.binds) {
      if (bind.kind === 'unix') await clearStaleSocket(bind.path);
      else if (bind.port === 0 && plan.reusePort) bind.port = await freePort(bind.host);
    }
    const log = createLogger(config.errorLog, config.logLevel);
    const supervisor = new Supervisor(config, plan, log, tls);
    await supervisor.start();
    const code = await supervisor.done;
    await log.close();
    return code;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tsgi: error: ${error.message}\nRun 'tsgi --help' for the options.\n`);
      return 2;
    }
    if (error instanceof TlsConfigError) {
      // One line: the flag, the file, what is wrong with it.
      process.stderr.write(`tsgi: error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AppLoadError) {
      process.stderr.write(`tsgi: error: ${error.message}\n`);
      return 4;
    }
    throw error;
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`tsgi: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
