/* SPDX-License-Identifier: MIT */
/* The trace config (JSON on stdin), validated strictly: unknown keys, duplicate keys and wrong types are errors.
 * Schema in docs/LOADER.md. Pure (no BPF, no kernel): built on the host with sanitizers and fuzzed. */
#ifndef CONFIG_H
#define CONFIG_H
#include <jansson.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

enum backend { BK_AUTO, BK_KPROBE_MULTI, BK_FENTRY, BK_KPROBE, BK_RAW_TP, BK_TC };
enum list_mode { LIST_EXPLICIT, LIST_ALL, LIST_NONE };

struct func_req {
	char name[128];
	int pos;    /* 0: from BTF */
	bool ret;   /* also probe the return */
	bool stack; /* a kernel stack id with this function's events */
};
struct tc_req {
	char ifname[16];
	char netns[256];
	bool ingress, egress;
};

struct config {
	char filter[4096];
	__u32 netns;
	__u32 ifindex;
	char ifname[16];
	__u32 mark, mark_mask;
	enum backend attach;
	enum list_mode tp_mode, fn_mode;
	char (*tracepoints)[64];
	int ntp;
	struct func_req *funcs;
	int nfuncs;
	struct tc_req *tc;
	int ntc;
	__u64 max_packets, duration_ms, max_events;
	bool stack;
	bool drop_stack; /* a kernel stack id with every drop event (kfree_skb, reason-carrying functions) */
	__u32 track_max, ringbuf_bytes;
	__u32 snaplen; /* capture.snaplen: packet bytes per capture record, 0 = none */
};

/* Flags for jansson's decoder: what the config accepts (strict RFC 8259, no duplicate keys, an object or array). */
#define CONFIG_JSON_FLAGS JSON_REJECT_DUPLICATES

/* Parses and validates text[0..len). Returns 0, or -1 with a message in err; *c is then empty (config_free). */
int config_parse(const char *text, size_t len, struct config *c, char *err, size_t errlen);
/* Validates a decoded config document into *c. Returns 0 or -1 with err. */
int config_from_json(const json_t *root, struct config *c, char *err, size_t errlen);
/* Frees the lists a parse allocated; *c is left empty. */
void config_free(struct config *c);
const char *backend_name(enum backend b);
#endif
