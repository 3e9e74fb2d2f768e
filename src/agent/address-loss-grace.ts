// A lost underlay address is reported only if no new address follows within a grace period. DHCP
// renumbering removes the old address and sets the new one a few hundred ms later; reported at once, the
// loss became one more report per host (a host workflow update on the control plane) in the very moment
// every host of a site renumbers and the control plane has the most to do. A host that really lost its
// address is reported as such after the grace; a new address is reported at once, as before.

export interface AddressLossGrace {
  /** The address changed to `ip` (null: none). True when the change is to be reported now; a loss is
   * reported by `onLoss` after the grace unless another change comes first. */
  change(ip: string | null): boolean;
  stop(): void;
}

export function addressLossGrace(o: { graceMs: number; onLoss: () => void }): AddressLossGrace {
  let timer: NodeJS.Timeout | undefined;
  return {
    change(ip) {
      clearTimeout(timer);
      timer = undefined;
      if (ip !== null) return true;
      timer = setTimeout(o.onLoss, o.graceMs);
      timer.unref();
      return false;
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
