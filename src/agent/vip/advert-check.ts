// advertSchema (advert.ts) written out by hand, for the adverts' hot path: every control-plane host
// parses ~20 adverts a second and builds 10, and in the agent's --jitless node zod's generic parse cost
// ~165 µs of CPU per advert (0.3 % of a core), this check ~10 µs. It accepts exactly what the schema
// accepts (a strict object, same types and bounds) and returns the value itself: the schema has no
// defaults or transforms, so its output would be the same object. test/agent/vip/advert-check.test.ts
// holds the two to the same verdict on generated valid and broken adverts; the schema stays the
// contract (types, tests, the simulation).
import { MAX_PRIORITY, MAX_VIP_VOTERS } from '../../domain/site-vip.js';
import type { VipAdvert } from './advert.js';

/** hostIdSchema / clusterNameSchema (domain/validation.ts): a DNS label of 1-63 characters. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const MAX_LABEL = 63;
const MAX_AGE_MS = 3_600_000;

const ADVERT_KEYS = new Set([
  'clusterName',
  'hostId',
  'epoch',
  'counter',
  'policyVersion',
  'priority',
  'gen',
  'holding',
  'quorum',
  'sees',
  'vote',
]);
const VOTE_KEYS = new Set(['hostId', 'epoch', 'gen', 'counter', 'ageMs']);

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const label = (v: unknown): boolean =>
  typeof v === 'string' && v.length >= 1 && v.length <= MAX_LABEL && DNS_LABEL.test(v);
const intIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const positive = (v: unknown): boolean => intIn(v, 1, Number.MAX_SAFE_INTEGER);
/** A strict object: no key outside `allowed` (an optional key may hold undefined, as in zod). */
const onlyKeys = (o: Obj, allowed: Set<string>): boolean => {
  for (const k of Object.keys(o)) if (!allowed.has(k)) return false;
  return true;
};

function voteOk(v: unknown): boolean {
  return (
    isObject(v) &&
    onlyKeys(v, VOTE_KEYS) &&
    label(v.hostId) &&
    positive(v.epoch) &&
    positive(v.gen) &&
    positive(v.counter) &&
    intIn(v.ageMs, 0, MAX_AGE_MS)
  );
}

/** True exactly when advertSchema.safeParse(v) succeeds. */
export function isAdvert(v: unknown): v is VipAdvert {
  if (!isObject(v) || !onlyKeys(v, ADVERT_KEYS)) return false;
  if (!label(v.clusterName) || !label(v.hostId)) return false;
  if (!positive(v.epoch) || !positive(v.counter) || !positive(v.policyVersion) || !positive(v.gen))
    return false;
  if (v.priority !== undefined && !intIn(v.priority, 0, MAX_PRIORITY)) return false;
  if (typeof v.holding !== 'boolean' || typeof v.quorum !== 'boolean') return false;
  const sees = v.sees;
  if (!Array.isArray(sees) || sees.length > MAX_VIP_VOTERS) return false;
  for (let i = 0; i < sees.length; i++) if (!label(sees[i])) return false;
  return v.vote === undefined || voteOk(v.vote);
}
