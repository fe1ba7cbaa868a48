import type { ProbeEntry, ProfileInfo } from '../../api/probeset.js';
import { PROFILE_NAMES, type ProbeFacts, type ProfileName } from '../../api/trace.js';
import { CoreError } from '../errors.js';
import { parseProbeSet } from './parse-probe-set.js';

/**
 * Built-in probe sets. Every name was checked against a 6.18 kernel's BTF (test/unit/core/probeset.test.ts
 * re-checks them on the machine running the tests: it must exist and take a `struct sk_buff *` in its first five
 * arguments). Names a kernel lacks are skipped at attach time and reported, so a profile may also list the
 * spelling of older kernels; those are the only exceptions the test allows (OLDER_KERNEL_NAMES).
 * Argument positions are left to the host's BTF (probe facts), because they move between kernel versions.
 */

/** Functions that exist (with an skb argument) only on kernels older than the one the profiles were checked on. */
export const OLDER_KERNEL_NAMES: Readonly<Record<string, string>> = {
  kfree_skb_reason: 'the drop point up to 6.10; sk_skb_reason_drop from 6.11',
};

const FREE = `
consume_skb final            # normal end of a packet
sk_skb_reason_drop final     # drop with a reason (6.11+)
kfree_skb_reason final       # drop with a reason (up to 6.10)
`;

const RX_CORE = `
__netif_receive_skb
__netif_receive_skb_one_core
netif_receive_skb
ip_rcv_core
ip_rcv_finish
ip_local_deliver
ip_local_deliver_finish
ip_protocol_deliver_rcu
icmp_rcv
tcp_v4_rcv
udp_rcv
ipv6_rcv
ip6_input_finish
icmpv6_rcv
`;

const TX_CORE = `
ip_local_out
ip_output
ip_finish_output
ip_finish_output2
ip6_output
ip6_finish_output2
neigh_resolve_output
__dev_queue_xmit
dev_hard_start_xmit
`;

const TEXT: Record<Exclude<ProfileName, 'all-skb'>, { description: string; text: string }> = {
  // The one default list: the loader has none of its own, the core sends these names.
  default: {
    description: 'receive, local delivery, forwarding, transmit and free: the path of most packets',
    text: `${RX_CORE}ip_rcv\nicmp_echo\nping_rcv\nip6_rcv_finish\nip6_input\nip_route_input_noref\nip_forward\nip_forward_finish\nip_error\nnf_hook_slow\n${TX_CORE}__ip_local_out\nip_send_skb\ndst_discard_out\nveth_xmit\nnetif_rx\n__netif_rx\nenqueue_to_backlog\n__kfree_skb\nkfree_skbmem\nskb_release_data\n${FREE}`,
  },
  ingress: {
    description: 'from the driver hand-off to the socket',
    text: `__netif_rx\nnetif_rx\n${RX_CORE}ip_rcv\nip6_rcv_core\ntcp_v4_do_rcv\ntcp_rcv_established\n__udp4_lib_rcv\nudp_queue_rcv_skb\nudp_unicast_rcv_skb\n${FREE}`,
  },
  egress: {
    description: 'from the socket to the driver',
    text: `__ip_queue_xmit\nip_send_skb\n__ip_local_out\n${TX_CORE}ip6_xmit\nsch_direct_xmit\nvalidate_xmit_skb\ndev_queue_xmit_nit\n${FREE}`,
  },
  netfilter: {
    description: 'netfilter hooks, iptables/ip6tables tables and conntrack',
    text: `nf_hook_slow\nipt_do_table\nip6t_do_table\nnf_conntrack_in\nipv4_conntrack_in\nipv4_conntrack_local\nnf_confirm\n__nf_conntrack_confirm\nnf_nat_ipv4_pre_routing\nnf_nat_ipv4_out\nnf_nat_ipv4_local_fn\nnf_nat_inet_fn\nnf_ct_get_tuple\nnf_checksum\n${FREE}`,
  },
  routing: {
    description: 'route lookups and forwarding decisions',
    text: `ip_rcv_finish\nip_rcv_finish_core\nip_route_input_noref\nip_route_input_slow\nip_route_use_hint\nfib_validate_source\nip_forward\nip_forward_finish\nip_error\nip6_route_input\nip6_forward\n__icmp_send\n${FREE}`,
  },
  drops: {
    description: 'where packets die: frees, drop reasons, resets, ICMP errors',
    text: `${FREE}__kfree_skb\nkfree_skbmem\nip_error\n__icmp_send\ntcp_v4_send_reset\ntcp_drop_reason\nnf_hook_slow\n`,
  },
  tc: {
    description: 'traffic control: classifiers, actions, qdiscs, redirects',
    text: `tcf_classify\ntc_run\ncls_bpf_classify\ntcf_action_exec\ntcf_mirred_act\ndev_qdisc_enqueue\npfifo_fast_enqueue\nhtb_enqueue\nsch_direct_xmit\nskb_do_redirect\n__bpf_redirect\n__dev_queue_xmit\n${FREE}`,
  },
  bridge: {
    description: 'Linux bridge forwarding and br_netfilter',
    text: `br_handle_frame_finish\nbr_handle_local_finish\nbr_pass_frame_up\nbr_netif_receive_skb\nbr_forward\n__br_forward\nbr_forward_finish\nbr_flood\nbr_dev_queue_push_xmit\nbr_dev_xmit\nbr_multicast_rcv\nbr_nf_pre_routing\nbr_nf_forward\nbr_nf_local_in\nbr_nf_post_routing\n${FREE}`,
  },
  tunnels: {
    description: 'VXLAN, IP tunnels, UDP tunnels, xfrm, veth and loopback hand-offs',
    text: `vxlan_rcv\nvxlan_xmit\nvxlan_xmit_one\nip_tunnel_rcv\nip_tunnel_xmit\niptunnel_xmit\n__iptunnel_pull_header\nudp_tunnel_xmit_skb\nudp_tunnel6_xmit_skb\nxfrm_input\nxfrm_output\nxfrm4_rcv\nveth_xmit\n__dev_forward_skb\nloopback_xmit\n${FREE}`,
  },
};

/** The order profiles are offered in: the contract's own list. */
export const PROFILE_ORDER: readonly ProfileName[] = PROFILE_NAMES;

export function profileInfo(name: ProfileName): ProfileInfo {
  if (name === 'all-skb')
    return {
      name,
      description: 'every traceable function that takes an sk_buff on the host (from its BTF)',
      text: '',
      dynamic: true,
    };
  const p = TEXT[name];
  return { name, description: p.description, text: p.text.replace(/^\n/, ''), dynamic: false };
}

export function listProfiles(): ProfileInfo[] {
  return PROFILE_ORDER.map(profileInfo);
}

/** A profile's entries; `all-skb` needs the host's probe facts (every skb function it can trace). */
export function profileEntries(name: ProfileName, facts?: ProbeFacts): ProbeEntry[] {
  if (name === 'all-skb') {
    if (!facts) throw new CoreError('invalid-request', 'profile all-skb needs the host to be probed first');
    const free = new Set(['consume_skb', 'sk_skb_reason_drop', 'kfree_skb_reason']);
    return facts.functions.map((f) => ({
      function: f.name,
      arg: f.pos,
      final: free.has(f.name),
      stack: false,
      ret: false,
    }));
  }
  const { entries, errors } = parseProbeSet(TEXT[name].text);
  if (errors.length) throw new Error(`built-in profile ${name} is malformed: ${errors[0]?.message ?? ''}`);
  return entries;
}
