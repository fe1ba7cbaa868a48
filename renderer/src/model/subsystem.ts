/**
 * Which part of the network stack a kernel function belongs to, from its name. Kernel naming is regular enough
 * that prefixes place nearly every skb function; the rest is "other". The order matters (first match wins).
 */
export interface Subsystem {
  id: string;
  label: string;
}

const RULES: [RegExp, Subsystem][] = [
  [
    /^(consume_skb|kfree_skb|__kfree_skb|sk_skb_reason_drop|kfree_skb_reason|skb_release)/,
    { id: 'free', label: 'free' },
  ],
  [
    /^(nf_|nft_|ipt_|ip6t_|ebt_|xt_|ipv4_conntrack|nf_conntrack|__nf_)/,
    { id: 'netfilter', label: 'netfilter' },
  ],
  [/^(tcf_|tc_|cls_|sch_|__qdisc|qdisc_|pfifo|fq_|htb_|netem)/, { id: 'tc', label: 'tc / qdisc' }],
  [/^(br_|__br_|nbp_)/, { id: 'bridge', label: 'bridge' }],
  [
    /^(vxlan|geneve|gre|ipgre|ip_tunnel|udp_tunnel|iptunnel|ip6_tnl|ip6gre|wg_|xfrm)/,
    { id: 'tunnel', label: 'tunnel' },
  ],
  [/^(tcp_|__tcp|tcp4_|tcp6_)/, { id: 'tcp', label: 'TCP' }],
  [/^(udp|__udp|udpv6)/, { id: 'udp', label: 'UDP' }],
  [/^(icmp|__icmp|ping_)/, { id: 'icmp', label: 'ICMP' }],
  [/^(ip6|ipv6|__ip6|rt6|fib6|icmpv6|ndisc)/, { id: 'ipv6', label: 'IPv6' }],
  [/^(ip_route|fib_|__fib|rt_|ip_mkroute|__mkroute|fib4)/, { id: 'routing', label: 'routing' }],
  [/^(ip_|__ip_|ipv4_|inet_|raw_)/, { id: 'ipv4', label: 'IPv4' }],
  [/^(neigh_|__neigh|arp_)/, { id: 'neigh', label: 'neighbour' }],
  [
    /^(net_dev_queue|net_dev_start_xmit|net_dev_xmit|__dev_queue_xmit|dev_queue_xmit|dev_hard_start_xmit|dev_xmit|validate_xmit|xmit_one|sch_direct)/,
    { id: 'xmit', label: 'device xmit' },
  ],
  [
    /^(__netif_|netif_|napi_|__napi|gro_|dev_gro|process_backlog|enqueue_to_backlog|do_xdp|bpf_prog_run_generic_xdp)/,
    { id: 'rx', label: 'device rx' },
  ],
  [/^(veth_|virtnet_|e1000|ixgbe|mlx|loopback_|tun_|macvlan|ipvlan)/, { id: 'driver', label: 'driver' }],
  [/^(sock_|sk_|__sk_|skb_queue|unix_|packet_|tpacket)/, { id: 'socket', label: 'socket' }],
  [/^(skb_|__skb|pskb_|__pskb|kfree|alloc_skb|__alloc_skb|__copy_skb)/, { id: 'skb', label: 'skb' }],
];

const OTHER: Subsystem = { id: 'other', label: 'other' };
const cache = new Map<string, Subsystem>();

export function subsystemOf(fn: string): Subsystem {
  let s = cache.get(fn);
  if (!s) {
    const base = fn.replace(/^tracepoint:|^tp:/, '').split('.')[0] ?? fn;
    s = RULES.find(([re]) => re.test(base))?.[1] ?? OTHER;
    cache.set(fn, s);
  }
  return s;
}
