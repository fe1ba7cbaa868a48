import type { PacketVerdict } from '../../api/explain.js';

/**
 * What a hop's function or tracepoint means for a packet's fate, from the names each backend really produces
 * (tracepoints here; fentry, kprobe and kprobe-multi on the VMs; see docs/CLI.md "Explain").
 */

type SocketKind = NonNullable<PacketVerdict['socket']>['kind'];

/** Functions that hand the skb to a socket of a known kind (function backends). */
const DELIVERY: Record<string, SocketKind> = {
  tcp_v4_do_rcv: 'tcp',
  tcp_v6_do_rcv: 'tcp',
  tcp_rcv_established: 'tcp',
  tcp_rcv_state_process: 'tcp',
  tcp_data_queue: 'tcp',
  tcp_queue_rcv: 'tcp',
  tcp_child_process: 'tcp',
  tcp_conn_request: 'tcp',
  tcp_v4_conn_request: 'tcp',
  tcp_v6_conn_request: 'tcp',
  udp_queue_rcv_skb: 'udp',
  udp_queue_rcv_one_skb: 'udp',
  udpv6_queue_rcv_skb: 'udp',
  udpv6_queue_rcv_one_skb: 'udp',
  __udp_enqueue_schedule_skb: 'udp',
  raw_rcv: 'raw',
  raw_rcv_skb: 'raw',
  rawv6_rcv: 'raw',
  rawv6_rcv_skb: 'raw',
  ping_queue_rcv_skb: 'ping',
  unix_stream_sendmsg: 'unix',
};

/** Socket-queue functions and the copy to user space: delivered, the kind told by the protocol. */
const GENERIC_DELIVERY = new Set([
  'sock_queue_rcv_skb',
  '__sock_queue_rcv_skb',
  'sock_queue_rcv_skb_reason',
  'skb_copy_datagram_iovec',
  'skb_copy_datagram_iter',
  '__skb_datagram_iter',
  'skb_consume_udp',
]);

/** Where a packet enters a namespace's stack from a device. */
const RECEIVE = new Set([
  'netif_receive_skb',
  'netif_receive_skb_entry',
  'netif_receive_skb_list_entry',
  'netif_rx',
  'netif_rx_entry',
  'napi_gro_receive_entry',
  '__netif_receive_skb',
  '__netif_receive_skb_core',
  '__netif_receive_skb_one_core',
  'ip_rcv',
  'ip_rcv_core',
  'ipv6_rcv',
  'ip_list_rcv',
]);

/** Where a packet is handed to a device driver: it left through that interface. */
const TRANSMIT = new Set([
  'net_dev_start_xmit',
  'net_dev_xmit',
  'dev_hard_start_xmit',
  'xmit_one',
  'veth_xmit',
  'start_xmit',
  'e1000_xmit_frame',
  'loopback_xmit',
]);

/** Routing decided to forward. */
const FORWARD = new Set(['ip_forward', 'ip_forward_finish', 'ip6_forward', 'ip6_forward_finish']);

/** Frees and what runs while an skb is released: never the point that decided a drop. */
const FREES =
  /^(kfree_skb|__kfree_skb|kfree_skb_reason|sk_skb_reason_drop|kfree_skb_list_reason|consume_skb|__consume_stateless_skb|skb_release_\w+|kfree_skbmem|napi_skb_cache_put|skb_free_head|__napi_kfree_skb|napi_consume_skb|dev_kfree_skb\w*|skb_attempt_defer_free|tcp_drop\w*|sk_drops_add|skb_orphan\w*)$/;

/** Hops that may start a packet's path: a device saw it first, or it was built for sending. */
const ORIGIN = new Set([...RECEIVE, 'net_dev_queue', 'net_dev_start_xmit']);

export function deliveryKind(fn: string, proto?: number): SocketKind | undefined {
  const k = DELIVERY[fn];
  if (k) return k;
  if (!GENERIC_DELIVERY.has(fn)) return undefined;
  return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 || proto === 58 ? 'raw' : 'other';
}

export const isReceive = (fn: string): boolean => RECEIVE.has(fn);
export const isTransmit = (fn: string): boolean => TRANSMIT.has(fn) || /_start_xmit$|_xmit_frame$/.test(fn);
export const isForward = (fn: string): boolean => FORWARD.has(fn);
export const isFree = (fn: string): boolean => FREES.test(fn);
export const isOrigin = (fn: string): boolean => ORIGIN.has(fn);
/** Frees that drop by definition (kfree_skb and its reason variants); consume_skb is not one. */
export const isDropFree = (fn: string): boolean =>
  /^(kfree_skb|kfree_skb_reason|sk_skb_reason_drop|kfree_skb_list_reason|tcp_drop\w*)$/.test(fn);

/** The subsystem a kernel function belongs to, by its name; undefined when the name does not tell. */
export function subsystemOf(fn: string): string | undefined {
  for (const [re, sub] of SUBSYSTEMS) if (re.test(fn)) return sub;
  return undefined;
}

const SUBSYSTEMS: [RegExp, string][] = [
  [/^(nf_|nft_|ipt_|ip6t_|ebt_|arpt_|xt_|ipv4_conntrack|nf_conntrack|__nf_|br_nf_)/, 'netfilter'],
  [/^(fib|ip_route|ip_rt|rt_|ip6_route|ip6_pol_route|rt6_|ip_mkroute|__mkroute|ip_error|dst_)/, 'routing'],
  [/^(neigh|__neigh|arp_|ndisc_|ip_finish_output2|ip6_finish_output2)/, 'neighbour'],
  [/^(tcf_|tc_|cls_|act_|sch_handle_|tcx_)/, 'tc'],
  [/^(qdisc|__qdisc|sch_|pfifo|netem|htb_|fq_|__dev_xmit_skb|dev_qdisc)/, 'qdisc'],
  [/^(tcp|__tcp|inet_csk)/, 'tcp'],
  [/^(udp|__udp|udpv6)/, 'udp'],
  [/^(icmp|__icmp|ping_)/, 'icmp'],
  [/^(raw_|rawv6_)/, 'socket'],
  [/^(ip6_|ipv6_|__ip6_|ip6mr|icmpv6)/, 'ipv6'],
  [/^(ip_|__ip_|ipv4_|inet_|ip_defrag)/, 'ip'],
  [/^(br_|__br_)/, 'bridge'],
  [/^(sk_|sock_|__sk_|__sock_|skb_copy_datagram)/, 'socket'],
  [/^(dev_|__dev_|netif_|__netif_|net_dev_|veth_|validate_xmit|napi_|gro_|skb_)/, 'device'],
];

/** The subsystem a drop reason names (enum skb_drop_reason), for drops whose function does not tell. */
export function subsystemOfReason(reason: string | undefined, proto?: number): string | undefined {
  if (!reason) return undefined;
  if (/^(NETFILTER_DROP|NF_)/.test(reason)) return 'netfilter';
  if (
    /^(IP_NOROUTE|IP_INADDRERRORS|IP_OUTNOROUTES|IP_RPFILTER|IP_LOCAL_SOURCE|IP_INVALID_SOURCE)/.test(reason)
  )
    return 'routing';
  if (/^NEIGH_/.test(reason)) return 'neighbour';
  if (/^(QDISC|TC_)/.test(reason)) return /^TC_/.test(reason) ? 'tc' : 'qdisc';
  if (/^TCP_/.test(reason)) return 'tcp';
  if (/^UDP_/.test(reason)) return 'udp';
  if (/^ICMP/.test(reason)) return 'icmp';
  if (/^(SOCKET_|PROTO_MEM)/.test(reason)) return 'socket';
  if (reason === 'NO_SOCKET')
    return proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 ? 'icmp' : 'socket';
  if (/^(IP_|IPV6|OTHERHOST|PKT_TOO_SMALL|IP_CSUM)/.test(reason)) return 'ip';
  if (/^(DEV_|DEV_READY|FULL_RING|NOMEM|HDR_TRUNC|UNHANDLED_PROTO)/.test(reason)) return 'device';
  if (/^(BRIDGE|VLAN)/.test(reason)) return 'bridge';
  return undefined;
}
