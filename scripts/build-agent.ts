// npm run build:agent [-- --out DIR] [--no-tarball]
// The host agent as an artifact for real hosts: no repository, no node_modules, no tsx, no npx. Two
// self-contained ESM bundles (esbuild, platform node, target node20) and a launcher:
//   bin/edge-overlay-agent     #!/usr/bin/env -S node <the agent's node flags>; what systemd runs
//   lib/agent.js               src/agent/main.ts and every module it imports (commander, zod, pino, mqtt…)
//   lib/pki-helper-main.js     the PKI helper the agent spawns (pki-helper.ts finds it next to itself)
//   lib/package.json           {"type":"module"}: the bundles are ESM wherever they are copied to
//   package.json               {"type":"commonjs"}: the extension-less launcher is CommonJS everywhere
//   share/                     the systemd unit, sysusers file and env file example (packaging/)
// plus dist/edge-overlay-agent-<version>.tar.gz of that folder (top directory edge-overlay-agent-<version>).
import { build } from 'esbuild';
import { execa } from 'execa';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { agentNodeFlags } from '../src/agent/node-flags.js';
import { repoRoot } from '../src/dev/paths.js';
import { agentLauncher } from './build-agent-launcher.js';
import { mqttNumberCacheForBundle } from './build-agent-plugins.js';

export interface AgentBundle {
  /** The folder to copy to a host (e.g. to /opt/edge-overlay). */
  dir: string;
  /** <dir>/bin/edge-overlay-agent */
  launcher: string;
  version: string;
  /** Bytes of the two bundles and the launcher. */
  bytes: number;
  tarball?: { file: string; bytes: number };
  /** What the bundles still load at runtime (esbuild's metafile): Node built-ins, and ws's optional add-ons. */
  externals: string[];
}

/** Where systemd, the env file and the cloud-init examples expect the bundle (packaging/). */
export const INSTALL_DIR = '/opt/edge-overlay';

// Bundled CommonJS packages (ws, pino, mqtt's deps) call require() for node built-ins; an ESM bundle has
// no require, so esbuild's shim would throw "Dynamic require of 'events' is not supported".
const requireShim =
  "import { createRequire as __eoCreateRequire } from 'node:module';\n" +
  'const require = __eoCreateRequire(import.meta.url);';

export async function buildAgentBundle(o: { outDir?: string; tarball?: boolean } = {}): Promise<AgentBundle> {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
  const dir = o.outDir ?? join(repoRoot, 'dist', 'agent-bundle');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'lib'), { recursive: true });
  const { metafile } = await build({
    metafile: true,
    entryPoints: {
      agent: join(repoRoot, 'src/agent/main.ts'),
      // Must keep this name: pki-helper.ts spawns `./pki-helper-main.js` next to its own module.
      'pki-helper-main': join(repoRoot, 'src/agent/identity/pki-helper-main.ts'),
    },
    outdir: join(dir, 'lib'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: requireShim },
    // Whitespace and syntax only: names stay, so a stack trace in the journal still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    plugins: [mqttNumberCacheForBundle],
    logLevel: 'warning',
  });
  writeFileSync(join(dir, 'lib', 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  const pkg = { name: 'edge-overlay-agent', version, private: true, type: 'commonjs' };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const launcher = join(dir, 'bin', 'edge-overlay-agent');
  mkdirSync(dirname(launcher), { recursive: true });
  writeFileSync(launcher, agentLauncher(agentNodeFlags(), version));
  chmodSync(launcher, 0o755);
  const share = join(dir, 'share');
  mkdirSync(share, { recursive: true });
  for (const f of [
    'systemd/edge-overlay-agent.service',
    'systemd/edge-overlay.sysusers',
    'agent.env.example',
  ])
    cpSync(join(repoRoot, 'packaging', f), join(share, basename(f)));
  const bytes = ['lib/agent.js', 'lib/pki-helper-main.js', 'bin/edge-overlay-agent']
    .map((f) => statSync(join(dir, f)).size)
    .reduce((a, b) => a + b, 0);
  const externals = Object.values(metafile.outputs).flatMap((out) =>
    out.imports.filter((i) => i.external).map((i) => i.path),
  );
  const result: AgentBundle = { dir, launcher, version, bytes, externals: [...new Set(externals)].sort() };
  if (o.tarball !== false) {
    const top = `edge-overlay-agent-${version}`;
    const file = join(dirname(dir), `${top}.tar.gz`);
    // --transform names the top directory after the version, whatever the build folder is called.
    await execa('tar', [
      '-czf',
      file,
      '--owner=0',
      '--group=0',
      `--transform=s,^${basename(dir)},${top},`,
      '-C',
      dirname(dir),
      basename(dir),
    ]);
    result.tarball = { file, bytes: statSync(file).size };
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'no-tarball': { type: 'boolean', default: false } },
  });
  const b = await buildAgentBundle({
    ...(values.out ? { outDir: values.out } : {}),
    tarball: !values['no-tarball'],
  });
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MB`;
  process.stdout.write(
    `agent bundle ${b.version}: ${b.dir} (${mb(b.bytes)})\n` +
      `  launcher: ${b.launcher}\n` +
      (b.tarball ? `  tarball:  ${b.tarball.file} (${mb(b.tarball.bytes)})\n` : '') +
      `  install:  copy ${b.dir} to ${INSTALL_DIR} on the host (README: "Install the agent on a real host")\n`,
  );
}
