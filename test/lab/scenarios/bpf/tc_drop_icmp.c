// A tc filter whose action is "drop" for ICMP (TC_ACT_SHOT), everything else passes: the tc-drop scenario's
// filter on a kernel without act_gact (`action drop`). Built by the scenario with clang -target bpf.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>

__attribute__((section("tc"), used)) int drop_icmp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	if (skb->protocol != __builtin_bswap16(ETH_P_IP) || (void *)(ip + 1) > end)
		return TC_ACT_OK;
	return ip->protocol == IPPROTO_ICMP ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
