// Argument checks shared by the wrappers: every value is validated before it reaches an argv.
import { ifaceNameSchema, ipv4Schema, macSchema } from '../domain/validation.js';
import { z } from 'zod';

export const iface = (v: string): string => ifaceNameSchema.parse(v);
export const ipv4 = (v: string): string => ipv4Schema.parse(v);
export const mac = (v: string): string => macSchema.parse(v);
export const int = (v: number, min: number, max: number): string =>
  String(z.number().int().min(min).max(max).parse(v));
/** `A.B.C.D/N` as the kernel wants it for addresses. */
export const ipv4Prefix = (ip: string, prefix: number): string => `${ipv4(ip)}/${int(prefix, 0, 32)}`;
