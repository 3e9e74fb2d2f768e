// Names of a CLI lab (`edge-overlay lab … --name N`): every lab on the machine has its own state dir, its own
// namespace prefix and its own registry record, so two labs never share a file, a namespace or a process.
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const DEFAULT_LAB_NAME = 'default';
/** Parent of the labs' state dirs (one folder per name), relative to the working directory. */
export const DEFAULT_LABS_DIR = '.lab';
/** A copy of each lab's state (its PIDs above all) outside its state dir: `lab down --all` still finds a
 * lab whose state dir was deleted. /run is root's tmpfs: a reboot, which ends every lab, empties it. */
export const LAB_REGISTRY_DIR = '/run/edge-overlay-lab';

export const labNameSchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/,
    'must be 1-20 lowercase letters, digits or inner dashes (e.g. default, lab-2)',
  );

/** First part of every CLI lab namespace (`eolab-<name>-sw`, …). EDGE_OVERLAY_LAB_PREFIX changes it so the
 * tests' `lab down --all` can only ever touch the tests' own labs. */
export function labNsRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.EDGE_OVERLAY_LAB_PREFIX || 'eolab';
  if (!/^[a-z][a-z0-9]{0,9}$/.test(root))
    throw new Error(`EDGE_OVERLAY_LAB_PREFIX must be 1-10 lowercase letters or digits (got '${root}')`);
  return root;
}

/** Everything one lab name maps to. */
export interface LabPaths {
  name: string;
  /** Namespace prefix: `<root>-<name>`; the lab's namespaces are `<prefix>-sw|dhcp|ctl|h<i>`. */
  nsPrefix: string;
  stateDir: string;
  registryFile: string;
}

export function labPaths(
  name: string,
  labsDir = DEFAULT_LABS_DIR,
  env: NodeJS.ProcessEnv = process.env,
): LabPaths {
  const nsPrefix = `${labNsRoot(env)}-${labNameSchema.parse(name)}`;
  return {
    name,
    nsPrefix,
    stateDir: resolve(labsDir, name),
    registryFile: join(registryDir(env), `${nsPrefix}.json`),
  };
}

export function registryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EDGE_OVERLAY_LAB_REGISTRY || LAB_REGISTRY_DIR;
}

const NS_SUFFIX = '(sw|dhcp|ctl|h\\d+)';

/** Is NS one of this lab's namespaces? (exact: lab `a` never matches lab `a-h1`'s `eolab-a-h1-sw`) */
export function isLabNamespace(nsPrefix: string, ns: string): boolean {
  return new RegExp(`^${nsPrefix}-${NS_SUFFIX}$`).test(ns);
}

/** The lab name a namespace of any CLI lab belongs to, or null for any other namespace. */
export function labNameOfNamespace(ns: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const m = new RegExp(`^${labNsRoot(env)}-(.+)-${NS_SUFFIX}$`).exec(ns);
  return m && labNameSchema.safeParse(m[1]).success ? m[1]! : null;
}

/** The lab name of a registry file name (`<root>-<name>.json`), or null. */
export function labNameOfRegistryFile(file: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const m = new RegExp(`^${labNsRoot(env)}-(.+)\\.json$`).exec(file);
  return m && labNameSchema.safeParse(m[1]).success ? m[1]! : null;
}
