// A lean entry for the agent alone (edge hosts): only the `agent` command is loaded, not the API,
// dev server or lab modules that `src/cli.ts` pulls in, which keeps the agent's RSS down.
// Usage (compiled): node dist/agent/main.js --host-id ID --underlay-iface IF [...same flags as `agent`]
import { Command, CommanderError } from 'commander';
import { pathToFileURL } from 'node:url';
import { registerAgentCommand } from './cli.js';
import { ConfigError } from '../config/env.js';

export async function agentMain(argv: string[]): Promise<number> {
  const program = new Command('edge-overlay').exitOverride();
  registerAgentCommand(program);
  try {
    await program.parseAsync(['node', 'edge-overlay', 'agent', ...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ConfigError) {
      process.stderr.write(`edge-overlay agent: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`edge-overlay agent: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await agentMain(process.argv.slice(2));
}
