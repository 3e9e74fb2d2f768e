// The broker's directory: config, ACL, CA, server certificate and key (0600), CRL. Written by `dev` and
// the tests before they start mosquitto, and by a production control plane into the volume the
// eclipse-mosquitto container mounts (then `pathsIn` is where that container sees the directory).
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../agent/state-file.js';
import type { ProductCa } from '../pki/ca.js';
import { writeCrlFile } from '../pki/revocations.js';
import { renderAcl, renderMosquittoConf, type MosquittoConfOptions } from './config.js';

export const BROKER_CONF_FILE = 'mosquitto.conf';
export const BROKER_CRL_FILE = 'crl.pem';

export interface BrokerFilesOptions {
  dir: string;
  ca: ProductCa;
  host: string;
  port: number;
  serverNames?: { dnsNames?: string[]; ips?: string[] };
  revokedSerials?: readonly string[];
  /** Where mosquitto stores sessions, as the broker sees it; undefined: in memory only. */
  persistenceDir?: string;
  runAsRoot: boolean;
  /** The directory as the broker process sees it (a container mount); default `dir`. */
  pathsIn?: string;
}

/** Writes every file (atomically) and returns the paths as written into the config. */
export async function writeBrokerFiles(o: BrokerFilesOptions): Promise<{
  confPath: string;
  files: MosquittoConfOptions['files'];
}> {
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  await chmod(o.dir, 0o700);
  const at = (base: string) => ({
    cafile: join(base, 'ca.crt'),
    certfile: join(base, 'server.crt'),
    keyfile: join(base, 'server.key'),
    crlfile: join(base, BROKER_CRL_FILE),
    aclfile: join(base, 'acl'),
  });
  const local = at(o.dir);
  const server = await o.ca.issueServerCert(o.serverNames ?? {});
  await writeFileAtomic(local.cafile, o.ca.certPem);
  await writeFileAtomic(local.certfile, server.certPem);
  await writeFileAtomic(local.keyfile, server.keyPem);
  await writeFileAtomic(local.aclfile, renderAcl());
  await writeCrlFile(local.crlfile, o.ca, o.revokedSerials ?? []);
  const confPath = join(o.dir, BROKER_CONF_FILE);
  const conf = renderMosquittoConf({
    host: o.host,
    port: o.port,
    files: at(o.pathsIn ?? o.dir),
    persistenceDir: o.persistenceDir,
    runAsRoot: o.runAsRoot,
  });
  await writeFileAtomic(confPath, conf);
  return { confPath, files: local };
}
