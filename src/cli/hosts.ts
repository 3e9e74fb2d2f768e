// `edge-overlay hosts`: the registered hosts, their underlay address, cluster and last heartbeat.
import type { Command } from 'commander';
import { type ApiFlags, connect, printOut, withApiOptions } from './connect.js';
import { formatHosts } from './format.js';

export function registerHostsCommand(program: Command): void {
  withApiOptions(
    program.command('hosts').description('registered hosts: underlay address, cluster, last seen'),
  ).action(async (flags: ApiFlags) => {
    const hosts = await connect(flags).listHosts();
    printOut(flags, hosts, formatHosts(hosts));
  });
}
