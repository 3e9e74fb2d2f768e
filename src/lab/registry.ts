// Finds CLI labs on this machine from every trace they leave: the state dir (`.lab/<name>/lab.json`), the
// registry copy in /run (names.ts), and the namespaces with the lab prefix. Any one of them is enough, so a
// lab whose state dir was deleted, or whose `lab up` was killed, is still found and can be removed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { netnsList, processRunner } from '../net/index.js';
import {
  isLabNamespace,
  labNameOfNamespace,
  labNameOfRegistryFile,
  labNameSchema,
  type LabPaths,
  labPaths,
  registryDir,
} from './names.js';
import { isAlive } from './netns.js';
import { type LabState, readLabStateFile, stateFile } from './state.js';

export interface FoundLab {
  paths: LabPaths;
  /** The state dir's lab.json and the registry copy, once each (by lab id). */
  states: LabState[];
  /** This lab's namespaces that exist now. */
  namespaces: string[];
}

/** The `lab up` process of a found lab, when it still runs. */
export function liveOwner(found: FoundLab): LabState['owner'] | undefined {
  return found.states.map((s) => s.owner).find((o) => o !== undefined && isAlive(o.pid));
}

/** The newest state (the state dir's lab.json first: it is written first). */
export const mainState = (found: FoundLab): LabState | undefined => found.states[0];

/** Everything known about lab NAME, or null when it left no trace. */
export async function findLab(
  name: string,
  labsDir: string,
  env: NodeJS.ProcessEnv = process.env,
  allNamespaces?: string[],
): Promise<FoundLab | null> {
  const paths = labPaths(name, labsDir, env);
  const states: LabState[] = [];
  for (const file of [stateFile(paths.stateDir), paths.registryFile]) {
    const s = readLabStateFile(file);
    // a state of another lab copied in by hand would point elsewhere: only this name's own
    if (s && s.switchNs === `${paths.nsPrefix}-sw` && !states.some((o) => o.id === s.id)) states.push(s);
  }
  const namespaces = (allNamespaces ?? (await netnsList(processRunner))).filter((ns) =>
    isLabNamespace(paths.nsPrefix, ns),
  );
  if (states.length === 0 && namespaces.length === 0) return null;
  return { paths, states, namespaces };
}

/** Every lab with a state dir under LABS_DIR, a registry copy or a namespace. */
export async function findAllLabs(
  labsDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FoundLab[]> {
  const allNamespaces = await netnsList(processRunner);
  const names = new Set<string>();
  if (existsSync(labsDir))
    for (const d of readdirSync(labsDir, { withFileTypes: true }))
      if (
        d.isDirectory() &&
        labNameSchema.safeParse(d.name).success &&
        existsSync(stateFile(join(labsDir, d.name)))
      )
        names.add(d.name);
  const reg = registryDir(env);
  if (existsSync(reg))
    for (const f of readdirSync(reg)) {
      const name = labNameOfRegistryFile(f, env);
      if (name) names.add(name);
    }
  for (const ns of allNamespaces) {
    const name = labNameOfNamespace(ns, env);
    if (name) names.add(name);
  }
  const found: FoundLab[] = [];
  for (const name of [...names].sort()) {
    const lab = await findLab(name, labsDir, env, allNamespaces);
    if (lab) found.push(lab);
  }
  return found;
}
