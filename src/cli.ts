#!/usr/bin/env node
// edge-overlay CLI: parses arguments and hands over to one module per command family.
import { Command, CommanderError } from 'commander';
import { ConfigError } from './config/env.js';
import { CliError } from './cli/api-client.js';
import { registerAgentCommand } from './agent/cli.js';
import { registerClusterCommands } from './cli/cluster.js';
import { registerDevCommand } from './cli/dev.js';
import { registerHostsCommand } from './cli/hosts.js';
import { registerLabCommands } from './cli/lab.js';
import { registerServeCommands } from './cli/serve.js';

export function buildProgram(): Command {
  const program = new Command('edge-overlay')
    .description('stable overlay IPs for edge Kubernetes clusters, driven by Temporal workflows')
    .showHelpAfterError()
    .exitOverride();
  registerDevCommand(program);
  registerAgentCommand(program);
  registerLabCommands(program);
  registerServeCommands(program);
  registerClusterCommands(program);
  registerHostsCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      process.stderr.write(`edge-overlay: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`edge-overlay: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`edge-overlay: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
