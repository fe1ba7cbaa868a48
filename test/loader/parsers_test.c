// SPDX-License-Identifier: MIT
/* Unit tests of the loader's pure parsers, built on the host with ASan and UBSan (scripts/loader-host-check.sh):
 * the trace config, the filter compiler and its cBPF -> eBPF translation (run against libpcap's interpreter),
 * and the splicing of the filter into a program. Prints each failed check; exit status = failures. */
#include "../../bpf/loader/cbpf_to_ebpf.h"
#include "../../bpf/loader/config.h"
#include "../../bpf/loader/filter_compile.h"
#include "../../bpf/loader/filter_splice.h"
#include "../../bpf/loader/tp_cover.h"
#include "ebpf_interp.h"
#include "filter_diff.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			failures++;                                                \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
		}                                                                  \
	} while (0)

static int parse(const char *text, struct config *c, char *err, size_t errlen)
{
	return config_parse(text, strlen(text), c, err, errlen);
}

static void test_config_valid(void)
{
	struct config c;
	char err[512] = "";
	const char *text =
	        "{\"version\":1,\"filter\":\"icmp\",\"netns\":4026532246,\"interface\":\"eth0\",\"mark\":16,"
	        "\"markMask\":255,\"attach\":\"fentry\",\"probes\":{\"tracepoints\":[\"kfree_skb\",\"net_dev_queue\"],"
	        "\"functions\":[\"ip_rcv\",{\"name\":\"ip_route_input_noref\",\"ret\":true,\"stack\":true,\"pos\":2}],"
	        "\"tc\":[{\"interface\":\"veth0\",\"netns\":\"/run/netns/server\",\"direction\":\"egress\"}]},"
	        "\"limits\":{\"packets\":10,\"durationMs\":5000,\"events\":100000},"
	        "\"options\":{\"stack\":true,\"dropStack\":true,\"trackMax\":16384,\"ringbufBytes\":8388608},\"capture\":{\"snaplen\":128}}";
	CHECK(parse(text, &c, err, sizeof(err)) == 0, "%s", err);
	CHECK(!strcmp(c.filter, "icmp") && c.netns == 4026532246u && !strcmp(c.ifname, "eth0"), "meta");
	CHECK(c.mark == 16 && c.mark_mask == 255 && c.attach == BK_FENTRY, "mark/attach");
	CHECK(c.tp_mode == LIST_EXPLICIT && c.ntp == 2 && !strcmp(c.tracepoints[1], "net_dev_queue"), "tracepoints");
	CHECK(c.fn_mode == LIST_EXPLICIT && c.nfuncs == 2 && !c.funcs[0].ret && c.funcs[1].ret && c.funcs[1].stack &&
	              c.funcs[1].pos == 2 && !strcmp(c.funcs[1].name, "ip_route_input_noref"),
	      "functions");
	CHECK(c.ntc == 1 && !c.tc[0].ingress && c.tc[0].egress && !strcmp(c.tc[0].netns, "/run/netns/server"), "tc");
	CHECK(c.max_packets == 10 && c.duration_ms == 5000 && c.max_events == 100000, "limits");
	CHECK(c.stack && c.drop_stack && c.track_max == 16384 && c.ringbuf_bytes == 8388608 && c.snaplen == 128,
	      "options");
	config_free(&c);

	CHECK(parse("{}", &c, err, sizeof(err)) == 0, "%s", err);
	CHECK(c.tp_mode == LIST_ALL && c.fn_mode == LIST_NONE && c.track_max == 16384, "defaults");
	config_free(&c);
	CHECK(parse("{\"probes\":{\"functions\":\"all\",\"tracepoints\":\"none\"},\"version\":1.0}", &c, err,
	            sizeof(err)) == 0,
	      "%s", err);
	CHECK(c.fn_mode == LIST_ALL && c.tp_mode == LIST_NONE, "modes");
	config_free(&c);
}

/* Each bad config fails with a message containing `want`; the half-parsed lists are freed (LeakSanitizer). */
static void test_config_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "not valid JSON" },
		{ "[]", "must be a JSON object" },
		{ "{\"filter\": x}", "line 1, column 12" },
		{ "{\"filter\":\"a\",\n \"filter\":\"b\"}", "duplicate object key" },
		{ "{\"filter\":\"a\\u0000b\"}", "not valid JSON" },
		{ "{\"filter\":01}", "not valid JSON" },
		{ "{\"filter\":\"icmp\"} x", "end of file expected" },
		{ "{\"x\":1}", "config: unknown key \"x\"" },
		{ "{\"filter\":1}", "filter must be a string" },
		{ "{\"mark\":1.5}", "mark must be an integer" },
		{ "{\"mark\":-1}", "mark must be an integer" },
		{ "{\"markMask\":3}", "markMask needs mark" },
		{ "{\"netns\":0}", "netns must not be 0" },
		{ "{\"netns\":\"relative\"}", "absolute path" },
		{ "{\"interface\":\"a/b\"}", "bad interface name" },
		{ "{\"attach\":\"AUTO\"}", "attach must be one of" },
		{ "{\"attach\":\"tc\"}", "needs probes.tc" },
		{ "{\"probes\":{\"tracepoints\":[\"ok\",\"a;b\"]}}", "bad name \"a;b\"" },
		{ "{\"probes\":{\"functions\":[\"ip_rcv\",{\"name\":\"x\",\"pos\":6}]}}", "from 0 to 5" },
		{ "{\"probes\":{\"functions\":[\"ip_rcv\",{\"name\":\"x\",\"pos\":0}]}}", "from 1 to 5" },
		{ "{\"probes\":{\"functions\":[{\"pos\":1}]}}", "\"name\" is required" },
		{ "{\"probes\":{\"functions\":[\"ip_rcv\",{\"name\":\"x\",\"ret\":1}]}}", "ret must be true or false" },
		{ "{\"probes\":{\"tc\":[{\"interface\":\"lo\"},{\"interface\":\"lo\",\"direction\":\"up\"}]}}",
		  "direction must be" },
		{ "{\"limits\":{\"packets\":1099511627776}}", "limits.packets must be an integer" },
		{ "{\"options\":{\"trackMax\":100}}", "at least 8192" },
		{ "{\"options\":{\"ringbufBytes\":5000}}", "power of two" },
		{ "{\"capture\":{\"snaplen\":257}}", "capture.snaplen" },
		{ "{\"version\":2}", "only config version 1" },
		{ "{\"probes\":{\"tracepoints\":\"some\"}}", "tracepoints must be an array or one of" },
		{ "{\"probes\":{\"functions\":\"some\"}}", "functions must be an array or one of" },
		{ "{\"probes\":{\"functions\":[\"ip_rcv\"],\"tc\":[{\"interface\":\"lo\",\"x\":1}]}}",
		  "unknown key \"x\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[512] = "";
		int rc = parse(cases[i].text, &c, err, sizeof(err));
		CHECK(rc == -1 && strstr(err, cases[i].want), "%s -> rc %d, \"%s\" (want \"%s\")", cases[i].text, rc,
		      err, cases[i].want);
		CHECK(!c.funcs && !c.tc && !c.tracepoints, "%s: lists left after an error", cases[i].text);
	}
}

/* Ethernet + IPv4 + ICMP echo request 10.0.0.1 -> 10.0.0.2; proto/ethertype patched per test */
static unsigned char frame[] = {
	0x02, 0, 0, 0,  0, 0x02, 0x02, 0, 0,  0, 0, 0x01, 0x08, 0x00,                    /* ethernet */
	0x45, 0, 0, 28, 0, 1,    0,    0, 64, 1, 0, 0,    10,   0,    0, 1, 10, 0, 0, 2, /* IPv4, proto 1 */
	8,    0, 0, 0,  0, 1,    0,    1,                                                /* ICMP echo */
};
/* Ethernet ARP request (who-has 10.0.0.2 tell 10.0.0.1), to broadcast */
static const unsigned char arp_frame[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,  0, 0, 0, 0x01, 0x08, 0x06, 0, 1, 8, 0,  6, 4, 0,
	1,    0x02, 0,    0,    0,    0,    0x01, 10, 0, 0, 1, 0,    0,    0,    0, 0, 0, 10, 0, 0, 2,
};

/* Whether view v of the compiled filter matches pkt, checked against libpcap's interpreter on the same cBPF (both
 * translations: filter_diff). */
static int matches(const char *filter, int v, const unsigned char *pkt, unsigned len)
{
	struct cbpf_insn *c = NULL;
	char err[256];
	int n = pcap_compile_view(filter, v ? VIEW_L3 : VIEW_L2, &c, err, sizeof(err)), m = -1;
	enum diff_result d = n > 0 ? filter_diff(c, n, pkt, len, len, &m, err, sizeof(err)) : DIFF_UNTRANSLATED;
	CHECK(d == DIFF_SAME, "%s view %d: compile %d, diff %d: %s", filter, v, n, d, err);
	free(c);
	return m;
}

/* The compiled views as the loader loads them, for the direct object and the others: run the eBPF of view v
 * (both must agree). */
static int view_matches(const char *filter, int v, const unsigned char *pkt, unsigned len)
{
	int m[2] = { -1, -1 };
	for (int direct = 0; direct < 2; direct++) {
		struct filter_views fv;
		char err[256] = "";
		uint64_t r0 = 7;
		CHECK(filter_compile(filter, direct, &fv, err, sizeof(err)) == 0, "%s: %s", filter, err);
		CHECK(ebpf_run(fv.insns[v], fv.cnt[v], pkt, len, len, direct, &r0) == 0, "%s view %d does not run",
		      filter, v);
		m[direct] = (uint32_t)r0 != 0;
		filter_views_free(&fv);
	}
	CHECK(m[0] == m[1], "%s view %d: the direct translation answers %d, the other %d", filter, v, m[1], m[0]);
	return m[0];
}

static void test_filters(void)
{
	const unsigned char *ip = frame + 14;
	unsigned ipl = sizeof(frame) - 14;
	CHECK(matches("icmp and host 10.0.0.2", 0, frame, sizeof(frame)) == 1, "L2 icmp");
	CHECK(matches("icmp and host 10.0.0.2", 1, ip, ipl) == 1, "L3 icmp");
	CHECK(matches("udp or host 10.0.0.3", 1, ip, ipl) == 0, "L3 no match");
	CHECK(matches("icmp[icmptype] == icmp-echo", 1, ip, ipl) == 1, "icmp type");
	CHECK(matches("len > 100", 1, ip, ipl) == 0, "len");
	CHECK(matches("ip[8] = 64 and ip[2:2] = 28", 1, ip, ipl) == 1, "ttl and total length");
	CHECK(matches("ether src 02:00:00:00:00:01", 0, frame, sizeof(frame)) == 1, "ether src");
	CHECK(matches("tcp[13] & 2 != 0", 1, ip, 10) == 0, "short packet: loads past the end do not match");

	/* link-layer primitives: the raw-IP view rejects everything, the Ethernet view decides */
	struct filter_views fv;
	char err[256] = "";
	CHECK(view_matches("arp", 0, arp_frame, sizeof(arp_frame)) == 1, "arp frame in the L2 view");
	CHECK(view_matches("arp", 0, frame, sizeof(frame)) == 0, "IP frame is not arp");
	CHECK(view_matches("arp", 1, ip, ipl) == 0, "the L3 view rejects all");
	CHECK(view_matches("ether host 02:00:00:00:00:02", 0, frame, sizeof(frame)) == 1, "ether host dst");
	CHECK(filter_compile("ether host 1:2:3:4:5:6 and vlan 5000", false, &fv, err, sizeof(err)) == -1 &&
	              !strcmp(err, "filter: VLAN tag 5000 greater than maximum 4095"),
	      "neither view: %s", err);
	CHECK(view_matches("", 1, ip, ipl) == 1, "empty filter");
}

/* A packet the filter refuses costs one helper call for the header loads it makes at constant offsets in the first
 * 64 bytes (ethertype, addresses, protocol): the prologue's window, not one read per load. The direct object's
 * translation loads them with no helper call at all. */
static void test_filter_reads(void)
{
	/* reads: bpf_probe_read_kernel calls; steps: instructions run, at most (the window copied once, only as far
	 * as the loads reach, placed so the IPv4 addresses load aligned; no scratch words cleared that none reads).
	 * The translation before this had 1 read and 70 / 54 / 60 / 47 / 73 steps; the direct one did not exist
	 * (the direct object ran the same translation). */
	static const struct {
		const char *filter;
		int v, reads, steps, direct_reads, direct_steps;
	} cases[] = {
		{ "host 10.99.99.99", 0, 1, 26, 0, 20 },
		{ "host 10.99.99.99", 1, 1, 26, 0, 20 },
		{ "icmp and dst host 10.0.0.2", 0, 1, 24, 0, 18 },
		{ "tcp port 80", 0, 1, 23, 0, 18 },         /* the frame is ICMP: refused before the port load */
		{ "icmp[icmptype] == 8", 1, 2, 41, 1, 37 }, /* past the IP header: X + k is a read of its own */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int direct = 0; direct < 2; direct++) {
			struct cbpf_insn *c = NULL;
			struct bpf_insn *e = NULL;
			char err[256] = "";
			int n = pcap_compile_view(cases[i].filter, cases[i].v ? VIEW_L3 : VIEW_L2, &c, err,
			                          sizeof(err));
			int ne = n > 0 ? cbpf_to_ebpf(c, n, direct, &e, err, sizeof(err)) : -1;
			int reads = direct ? cases[i].direct_reads : cases[i].reads;
			int steps = direct ? cases[i].direct_steps : cases[i].steps;
			uint64_t r0 = 0;
			const unsigned char *pkt = cases[i].v ? frame + 14 : frame;
			unsigned len = cases[i].v ? sizeof(frame) - 14 : sizeof(frame);
			ebpf_interp_reads = ebpf_interp_steps = 0;
			CHECK(ne > 0 && ebpf_run(e, ne, pkt, len, len, direct, &r0) == 0, "%s: %s", cases[i].filter,
			      err);
			CHECK(ebpf_interp_reads == reads, "%s view %d direct %d: %d reads (want %d)", cases[i].filter,
			      cases[i].v, direct, ebpf_interp_reads, reads);
			CHECK(ebpf_interp_steps <= steps, "%s view %d direct %d: %d steps (want at most %d)",
			      cases[i].filter, cases[i].v, direct, ebpf_interp_steps, steps);
			free(c);
			free(e);
		}
}

static void test_cbpf_rejects(void)
{
	static const struct {
		struct cbpf_insn prog[3];
		int n;
		const char *want;
	} cases[] = {
		{ { { 0x15, 5, 0, 1 }, { 0x06, 0, 0, 0 } }, 2, "unsupported cBPF instruction 0" }, /* jeq past end */
		{ { { 0x00, 0, 0, 1 } }, 1, "does not end with a return" },
		{ { { 0x34, 0, 0, 0 }, { 0x06, 0, 0, 0 } }, 2, "unsupported cBPF instruction 0" },  /* div #0 */
		{ { { 0x60, 0, 0, 16 }, { 0x06, 0, 0, 0 } }, 2, "unsupported cBPF instruction 0" }, /* ld M[16] */
		{ { { 0 } }, 0, "does not end with a return" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpf_insn *e = NULL;
		char err[256] = "";
		int n = cbpf_to_ebpf(cases[i].prog, cases[i].n, false, &e, err, sizeof(err));
		CHECK(n == -1 && strstr(err, cases[i].want), "case %zu: %d \"%s\"", i, n, err);
		free(e);
	}
}

#define CALL(off) ((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = (off) })
#define EXIT      ((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT })
#define MOV(r, v) ((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = (r), .imm = (v) })

static void test_splice(void)
{
	/* main: call l2 stub, call helper; the stubs; a helper */
	const struct bpf_insn prog[] = { CALL(2),
		                         CALL(5),
		                         EXIT,
		                         /* 0..2 main */ MOV(0, 1),
		                         EXIT, /* 3..4 l2 */
		                         MOV(0, 2),
		                         EXIT,
		                         /* 5..6 l3 */ MOV(0, 3),
		                         EXIT /* 7..8 helper */ };
	const __u32 start[] = { 0, 3, 5, 7 };
	const int view[] = { -1, 0, 1, -1 };
	const struct bpf_insn l2[] = { MOV(0, 9), MOV(0, 9), MOV(0, 9), EXIT }, l3[] = { EXIT };
	struct splice_in in = { prog, 9, start, view, 4, { l2, l3 }, { 4, 1 } };
	struct bpf_insn *out = NULL;
	__u32 nstart[4];
	char err[160] = "";
	int n = filter_splice(&in, &out, nstart, err, sizeof(err));
	CHECK(n == 3 + 4 + 1 + 2, "spliced length %d: %s", n, err);
	CHECK(nstart[1] == 3 && nstart[2] == 7 && nstart[3] == 8, "new starts %u %u %u", nstart[1], nstart[2],
	      nstart[3]);
	CHECK(out && out[0].imm == 2 && out[1].imm == 6, "calls re-pointed: %d %d", out ? out[0].imm : 0,
	      out ? out[1].imm : 0);
	CHECK(out && out[3].imm == 9 && out[8].imm == 3, "bodies");
	free(out);

	const struct bpf_insn bad[] = { CALL(1), EXIT, MOV(0, 1), EXIT }; /* calls into the middle of main */
	const __u32 bstart[] = { 0, 3 };
	const int bview[] = { -1, -1 };
	struct splice_in bin = { bad, 4, bstart, bview, 2, { l2, l3 }, { 4, 1 } };
	CHECK(filter_splice(&bin, &out, nstart, err, sizeof(err)) == -1 && strstr(err, "middle"), "%s", err);
	const __u32 unsorted[] = { 0, 5 };
	bin.start = unsorted;
	CHECK(filter_splice(&bin, &out, nstart, err, sizeof(err)) == -1 && strstr(err, "layout"), "%s", err);
}

/* A kernel for tp_covered: the skb functions it has, and those a trace attached (NULL-terminated lists). */
struct kernel_funcs {
	const char *const *has, *const *attached;
};
static bool in(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}
static bool k_attached(const void *arg, const char *name)
{
	return in(((const struct kernel_funcs *)arg)->attached, name);
}
static bool k_has(const void *arg, const char *name)
{
	return in(((const struct kernel_funcs *)arg)->has, name);
}
static const char *covered(const char *tp, const char *const *has, const char *const *attached, size_t len)
{
	static char by[128];
	struct kernel_funcs k = { has, attached };
	return tp_covered(tp, k_attached, k_has, &k, by, len) ? by : by[0] ? "(by set though not covered)" : NULL;
}

static void test_tp_cover(void)
{
	/* Debian 6.12's names: __netif_rx and netif_rx (no netif_rx_ni), dev_forward_skb, no netif_rx_internal BTF */
	static const char *const k612[] = { "__dev_queue_xmit", "netif_receive_skb",     "netif_rx", "__netif_rx",
		                            "dev_forward_skb",  "dev_forward_skb_nomtu", NULL };
	/* the default profile attaches these of them */
	static const char *const dflt[] = { "__dev_queue_xmit", "netif_receive_skb", "netif_rx", "__netif_rx", NULL };
	static const char *const all[] = { "__dev_queue_xmit", "netif_receive_skb",     "netif_rx", "__netif_rx",
		                           "dev_forward_skb",  "dev_forward_skb_nomtu", NULL };
	static const char *const none[] = { NULL };
	const char *r;
	CHECK((r = covered("net_dev_queue", k612, dflt, 128)) && !strcmp(r, "__dev_queue_xmit"), "%s", r);
	CHECK((r = covered("netif_receive_skb_entry", k612, dflt, 128)) && !strcmp(r, "netif_receive_skb"), "%s", r);
	CHECK((r = covered("netif_rx_entry", k612, dflt, 128)) && !strcmp(r, "netif_rx,__netif_rx"), "%s", r);
	/* netif_rx: dev_forward_skb is a caller this kernel has and the default set does not attach: kept */
	CHECK(!(r = covered("netif_rx", k612, dflt, 128)), "%s", r);
	CHECK((r = covered("netif_rx", k612, all, 128)) &&
	              !strcmp(r, "netif_rx,__netif_rx,dev_forward_skb,dev_forward_skb_nomtu"),
	      "%s", r);
	/* the function that fires it, where BTF has it, is enough alone */
	static const char *const inner[] = { "netif_rx_internal", "netif_rx", "dev_forward_skb", NULL };
	static const char *const only_inner[] = { "netif_rx_internal", NULL };
	CHECK((r = covered("netif_rx", inner, only_inner, 128)) && !strcmp(r, "netif_rx_internal"), "%s", r);
	/* 5.10: netif_rx and netif_rx_ni, no __netif_rx: the callers it has are what counts */
	static const char *const k510[] = { "netif_rx", "netif_rx_ni", "netif_rx_any_context", NULL };
	static const char *const rx510[] = { "netif_rx", NULL };
	CHECK((r = covered("netif_rx_entry", k510, rx510, 128)) && !strcmp(r, "netif_rx"), "%s", r);
	CHECK(!(r = covered("netif_rx", k510, rx510, 128)), "%s", r); /* netif_rx_ni not attached */
	/* nothing attached, a tracepoint with no covering function, names that do not fit: kept, by empty */
	CHECK(!(r = covered("net_dev_queue", k612, none, 128)), "%s", r);
	CHECK(!(r = covered("kfree_skb", k612, all, 128)), "%s", r);
	CHECK(!(r = covered("net_dev_queue", k612, dflt, 8)), "%s", r);
	CHECK(!(r = covered("netif_rx", k612, all, 20)), "%s", r);
	CHECK(!(r = covered("net_dev_queue", k612, dflt, 0)), "%s", r);
}

int main(void)
{
	test_config_valid();
	test_config_errors();
	test_filters();
	test_filter_reads();
	test_cbpf_rejects();
	test_splice();
	test_tp_cover();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		puts("parsers: all checks passed");
	return failures ? 1 : 0;
}
