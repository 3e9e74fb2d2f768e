#!/usr/bin/env node
// edge-overlay CLI: parses arguments and hands over to one module per command family.
import { Command, CommanderError } from 'commander';
import { registerAgentCommand } from './agent/cli.js';
import { registerClusterCommands } from './cli/cluster.js';
import { registerDevCommand } from './cli/dev.js';
import { ExitCode, reportError } from './cli/errors.js';
import { registerHostsCommand } from './cli/hosts.js';
import { registerLabCommands } from './cli/lab.js';
import { registerServeCommands } from './cli/serve.js';

/** A usage error prints commander's one line and this hint, not the whole help. */
function hintHelp(cmd: Command, path: string[] = []): void {
  const here = [...path, cmd.name()];
  cmd.showHelpAfterError(`(see '${here.join(' ')} --help')`);
  for (const sub of cmd.commands) hintHelp(sub, here);
}

export function buildProgram(): Command {
  const program = new Command('edge-overlay')
    .description('stable overlay IPs for edge Kubernetes clusters, driven by Temporal workflows')
    .exitOverride();
  registerDevCommand(program);
  registerAgentCommand(program);
  registerLabCommands(program);
  registerServeCommands(program);
  registerClusterCommands(program);
  registerHostsCommand(program);
  hintHelp(program);
  return program;
}

/** Commander already printed its message; only the exit code is left to choose. */
function commanderExit(err: CommanderError): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
  // 'commander.help' is a command group run without a subcommand: help on stderr, a usage error.
  return ExitCode.Usage;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err);
    return reportError(err, (line) => process.stderr.write(line));
  }
}
