// Pure rendering of mosquitto.conf and its ACL file (no I/O): what the broker enforces, in one place.
import { CONTROL_IDENTITY, HOSTS_TOPIC_ROOT } from '../contract/host-channel.js';

/** Everything under the product's versioned root (`edge-overlay/v1/#`): the control identity's grant. */
export const CONTROL_TOPIC_GRANT = `${HOSTS_TOPIC_ROOT.split('/').slice(0, 2).join('/')}/#`;

/**
 * The ACL. The control identity reads and writes the whole v1 tree; every other identity (a host, CN =
 * username) reads and writes exactly its own subtree. `%u` is the whole level, and host ids are DNS
 * labels (checked before a certificate is ever signed), so no username can widen the pattern with '/',
 * '+' or '#'. Nothing else is granted: `$SYS`, other roots and other hosts are denied.
 */
export function renderAcl(controlIdentity = CONTROL_IDENTITY): string {
  return [
    '# edge-overlay broker ACL (generated; edits are overwritten at start)',
    `user ${controlIdentity}`,
    `topic readwrite ${CONTROL_TOPIC_GRANT}`,
    '',
    `pattern readwrite ${HOSTS_TOPIC_ROOT}/%u/#`,
    '',
  ].join('\n');
}

export interface MosquittoConfOptions {
  host: string;
  port: number;
  files: { cafile: string; certfile: string; keyfile: string; crlfile: string; aclfile: string };
  /** Directory for mosquitto.db; undefined: sessions live in memory only. */
  persistenceDir?: string;
  /** Started as root, mosquitto drops to user `mosquitto`, which cannot read our 0600 key files. */
  runAsRoot: boolean;
}

/** Bound for sessions of clients that never said how long theirs lives (MQTT 3); MQTT 5 agents set their
 * own expiry (AGENT_SESSION_EXPIRY_S). */
const PERSISTENT_CLIENT_EXPIRATION = '14d';

export function renderMosquittoConf(o: MosquittoConfOptions): string {
  const lines = [
    '# edge-overlay broker (generated at every start)',
    'per_listener_settings false',
    'allow_anonymous false',
    `listener ${o.port} ${o.host}`,
    `cafile ${o.files.cafile}`,
    `certfile ${o.files.certfile}`,
    `keyfile ${o.files.keyfile}`,
    // Re-read on SIGHUP for new connections (measured on mosquitto 2.0.11); live ones are dropped by a
    // session takeover (src/broker/revocation.ts).
    `crlfile ${o.files.crlfile}`,
    'require_certificate true',
    // identity = certificate CN = MQTT username ...
    'use_identity_as_username true',
    // ... = client id: a host cannot connect under another host's client id to take its session over
    // (and drain the commands queued in it); whatever id a client sends, the broker uses its CN.
    'use_username_as_clientid true',
    `acl_file ${o.files.aclfile}`,
    `persistent_client_expiration ${PERSISTENT_CLIENT_EXPIRATION}`,
    'set_tcp_nodelay true',
    ...(o.persistenceDir
      ? [
          'persistence true',
          `persistence_location ${o.persistenceDir.endsWith('/') ? o.persistenceDir : `${o.persistenceDir}/`}`,
        ]
      : ['persistence false']),
    'log_dest stderr',
    'log_timestamp false',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    ...(o.runAsRoot ? ['user root'] : []),
    '',
  ];
  for (const [key, path] of Object.entries(o.files)) {
    // mosquitto.conf has no quoting: a path with a newline or leading/trailing space would change meaning
    if (/[\n\r]/.test(path) || path.trim() !== path)
      throw new Error(`unusable path for ${key}: ${JSON.stringify(path)}`);
  }
  return lines.join('\n');
}
