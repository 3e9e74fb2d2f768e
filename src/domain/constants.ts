// Every default lives here once (STYLE: "the same number in two places").
export const DEFAULT_OVERLAY_CIDR = '100.64.192.0/24';
export const DEFAULT_VNI = 100;
export const VXLAN_UDP_PORT = 4789;
/** Bridge name is fixed: CNIs (kube-vip, Calico, Flannel) are pointed at it. */
export const OVERLAY_BRIDGE = 'scbr-100';
/** VxLAN encapsulation overhead over IPv4 (outer IP 20 + UDP 8 + VxLAN 8 + inner Ethernet 14). */
export const VXLAN_ENCAP_OVERHEAD = 50;
export const DEFAULT_MULTICAST_GROUP = '239.1.1.1';
/** VxLAN network identifiers are 24 bits. */
export const MAX_VNI = 16_777_215;
/** Most hosts in one cluster or one request (every schema that bounds a host list uses it). */
export const MAX_CLUSTER_HOSTS = 1000;
/** UDP port of the agents' authenticated underlay beacon (next to VxLAN's 4789). */
export const BEACON_PORT = 4790;
/** UDP port of the VIP election adverts (issue 13), apart from the beacon's so each has its own budget. */
export const VIP_ADVERT_PORT = 4791;
/** TCP port a probe knocks at on each peer's overlay address (net/knock.ts): the beacon's number, but on TCP,
 * where nothing of ours listens, so the peer's kernel answers with a RST. */
export const KNOCK_PORT = BEACON_PORT;
/** Agent heartbeat interval in whole seconds; keep it well under the cluster's heartbeat timeout. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 10;

export const CONTROL_TASK_QUEUE = 'edge-overlay';
export const DEFAULT_API_PORT = 8080;
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;
export const TEMPORAL_NAMESPACE = 'default';

export const vxlanDeviceName = (vni: number): string => `vxlan${vni}`;
export const overlayMtu = (underlayMtu: number): number => underlayMtu - VXLAN_ENCAP_OVERHEAD;
