// The API bearer token: --token-file wins over EDGE_OVERLAY_TOKEN; `dev` may generate one.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './env.js';

export interface TokenSource {
  tokenFile?: string | undefined;
  envToken?: string | undefined;
  /** Where `dev` keeps a generated token when neither of the above is given. */
  generateInto?: string | undefined;
}

export interface ResolvedToken {
  token: string;
  origin: 'file' | 'env' | 'generated' | 'existing-file';
  path?: string;
}

function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError([`--token-file: cannot read ${path}: ${(err as Error).message}`]);
  }
  if (text.length < 16)
    throw new ConfigError([`--token-file: token in ${path} must be at least 16 characters`]);
  return text;
}

export function resolveToken(src: TokenSource): ResolvedToken {
  if (src.tokenFile) return { token: readTokenFile(src.tokenFile), origin: 'file', path: src.tokenFile };
  if (src.envToken) return { token: src.envToken, origin: 'env' };
  if (src.generateInto) {
    if (existsSync(src.generateInto)) {
      return { token: readTokenFile(src.generateInto), origin: 'existing-file', path: src.generateInto };
    }
    const token = randomBytes(24).toString('base64url');
    mkdirSync(dirname(src.generateInto), { recursive: true });
    writeFileSync(src.generateInto, `${token}\n`, { mode: 0o600 });
    return { token, origin: 'generated', path: src.generateInto };
  }
  throw new ConfigError(['API token: set EDGE_OVERLAY_TOKEN or pass --token-file FILE']);
}
