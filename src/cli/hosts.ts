// `edge-overlay hosts [get HOST_ID | join-token HOST_ID | reset HOST_ID | delete HOST_ID]`: the registered hosts
// (underlay address, cluster, last heartbeat), a single-use join token for one host's agent, tearing a
// stranded host's overlay down through its agent, and deleting a host.
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_JOIN_TOKEN_TTL_S, MAX_JOIN_TOKEN_TTL_S } from '../domain/join-token.js';
import { hostIdSchema } from '../domain/validation.js';
import { type ApiFlags, connect, durationParser, printOut, progress, withApiOptions } from './connect.js';
import { formatHost, formatHosts } from './format.js';
import { zodParser } from './options.js';

const parseHostId = zodParser(hostIdSchema);

/** `--ttl 90s|30m|1h|3600` → whole seconds within what the API accepts. */
export function parseTtl(value: string): number {
  const ms = durationParser(value);
  if (ms % 1000 !== 0) throw new InvalidArgumentError('must be whole seconds');
  const s = ms / 1000;
  if (s > MAX_JOIN_TOKEN_TTL_S) throw new InvalidArgumentError(`at most ${MAX_JOIN_TOKEN_TTL_S / 3600}h`);
  return s;
}

interface JoinTokenFlags extends ApiFlags {
  ttl?: number;
}

// Subcommands repeat the API options so they may follow the subcommand; optsWithGlobals() also picks
// up any given before it (`hosts --json delete h1`).
const flagsOf = <T extends ApiFlags>(cmd: Command): T => cmd.optsWithGlobals<T>();

export function registerHostsCommand(program: Command): void {
  const hosts = withApiOptions(
    program.command('hosts').description('registered hosts: underlay address, cluster, last seen'),
  ).action(async (flags: ApiFlags) => {
    const list = await connect(flags).listHosts();
    printOut(flags, list, formatHosts(list));
  });

  withApiOptions(
    hosts
      .command('get')
      .description('one registered host: underlay address, cluster, online, last seen, certificate')
      .argument('<HOST_ID>', 'the host', parseHostId),
  ).action(async (hostId: string, _opts: unknown, cmd: Command) => {
    const flags = flagsOf<ApiFlags>(cmd);
    const host = await connect(flags).getHost(hostId);
    printOut(flags, host, formatHost(host));
  });

  withApiOptions(
    hosts
      .command('join-token')
      .description("issue a single-use join token for one host's agent (admin); prints only the token")
      .argument('<HOST_ID>', 'the host the token is for (it may not be registered yet)', parseHostId)
      .option(
        '--ttl <duration>',
        `how long the token is valid (default ${DEFAULT_JOIN_TOKEN_TTL_S / 3600}h)`,
        parseTtl,
      ),
  ).action(async (hostId: string, _opts: unknown, cmd: Command) => {
    const flags = flagsOf<JoinTokenFlags>(cmd);
    const issued = await connect(flags).issueJoinToken(hostId, flags.ttl);
    // stdout carries the token alone, so `T=$(edge-overlay hosts join-token h1)` works; the rest is advice.
    printOut(flags, issued, issued.token);
    if (!flags.json) {
      progress(flags, `join token for ${hostId}, single use, valid until ${issued.expiresAt}`);
      progress(flags, `on the host: edge-overlay agent --host-id ${hostId} --join-token-file FILE …`);
    }
  });

  withApiOptions(
    hosts
      .command('reset')
      .description(
        'tear down every overlay device on a host in no cluster, through its agent (a stranded host after a failed join)',
      )
      .argument('<HOST_ID>', 'the host to reset', parseHostId)
      .option('--reason <text>', 'recorded with the HostReset event on the host'),
  ).action(async (hostId: string, _opts: unknown, cmd: Command) => {
    const flags = flagsOf<ApiFlags & { reason?: string }>(cmd);
    const reset = await connect(flags).resetHost(hostId, flags.reason);
    const what =
      reset.removed.length > 0 ? `removed ${reset.removed.join(', ')}` : 'nothing was left to remove';
    const from = reset.cluster ? ` (its agent still had the overlay of cluster ${reset.cluster})` : '';
    printOut(flags, reset, `host ${hostId} reset: ${what}${from}`);
  });

  withApiOptions(
    hosts
      .command('delete')
      .description('remove a host from the inventory and revoke its certificate (refused while in a cluster)')
      .argument('<HOST_ID>', 'the host to delete', parseHostId),
  ).action(async (hostId: string, _opts: unknown, cmd: Command) => {
    const flags = flagsOf<ApiFlags>(cmd);
    const deleted = await connect(flags).deleteHost(hostId);
    const serial = deleted.revokedCertificateSerial;
    const text = serial
      ? `host ${hostId} deleted; certificate ${serial} revoked`
      : `host ${hostId} deleted (it had no certificate)`;
    printOut(flags, deleted, text);
  });
}
