// SPDX-License-Identifier: MIT
#include "output.h"
#include "btf_skb.h"
#include "json_out.h"
#include <arpa/inet.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static char stdout_buf[1 << 20];

void output_init(struct output *o, FILE *f, bool json)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
	setvbuf(f, stdout_buf, _IOFBF, sizeof(stdout_buf));
}

static void frame_header(FILE *f, enum frame_type type, size_t payload)
{
	/* little-endian on both supported arches; written byte by byte to be explicit */
	__u32 len = 8 + payload;
	unsigned char h[8] = { len, len >> 8, len >> 16, len >> 24, type & 0xff, type >> 8, 0, 0 };
	fwrite(h, 1, 8, f);
}

static json_t *proto_json(__u8 p)
{
	switch (p) {
	case 1:
		return json_string("icmp");
	case 6:
		return json_string("tcp");
	case 17:
		return json_string("udp");
	case 58:
		return json_string("icmpv6");
	default:
		return json_integer(p);
	}
}

static json_t *tuple_json(const struct pktpath_event *e)
{
	char s[INET6_ADDRSTRLEN] = "", d[INET6_ADDRSTRLEN] = "";
	int af = e->ip_version == 6 ? AF_INET6 : AF_INET;
	inet_ntop(af, e->saddr, s, sizeof(s));
	inet_ntop(af, e->daddr, d, sizeof(d));
	return json_pack("{s:i,s:o,s:s,s:s,s:i,s:i}", "ip", e->ip_version, "proto", proto_json(e->l4proto), "src", s,
	                 "dst", d, "sport", e->sport, "dport", e->dport);
}

/* The --json form of an event; optional members only when set. */
static json_t *event_json(const struct pktpath_event *e, const char *probe_name)
{
	char skb[24];
	snprintf(skb, sizeof(skb), "0x%llx", (unsigned long long)e->skb);
	json_t *v = json_pack("{s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "type", "event", "packet",
	                      (json_int_t)e->packet_id, "probe", (json_int_t)e->probe_id, "name", json_text(probe_name),
	                      "ts", (json_int_t)e->ktime_ns, "cpu", (json_int_t)e->cpu, "netns", (json_int_t)e->netns,
	                      "ifindex", (json_int_t)e->ifindex, "len", (json_int_t)e->len, "mark", (json_int_t)e->mark,
	                      "skb", skb);
	if (!v)
		return NULL;
	if (e->flags & EV_FIRST) {
		json_object_set_new(v, "first", json_true());
		json_object_set_new(v, "view", json_string(e->flags & EV_L2 ? "l2" : "l3"));
	}
	if (e->flags & EV_PARTIAL)
		json_object_set_new(v, "partial", json_true());
	if (e->flags & EV_FREE)
		json_object_set_new(v, "free", json_true());
	if (e->flags & EV_TUPLE)
		json_object_set_new(v, "tuple", tuple_json(e));
	if (e->flags & EV_DROP) {
		const char *rn = drop_reason_name(e->drop_reason);
		json_object_set_new(
		        v, "drop", json_pack("{s:I,s:s}", "reason", (json_int_t)e->drop_reason, "name", rn ? rn : "?"));
	}
	if (e->flags & EV_STACK)
		json_object_set_new(v, "stack", json_integer(e->stack_id));
	if (e->flags & EV_RETVAL)
		json_object_set_new(v, "retval", json_integer(e->retval));
	if (e->flags & EV_LOCATION) { /* kfree_skb's caller, in retval */
		char loc[24];
		snprintf(loc, sizeof(loc), "0x%llx", (unsigned long long)e->retval);
		json_object_set_new(v, "location", json_string(loc));
	}
	return v;
}

void output_event(struct output *o, const struct pktpath_event *e, const char *probe_name)
{
	if (!o->json) {
		frame_header(o->f, FRAME_EVENT, sizeof(*e));
		fwrite(e, 1, sizeof(*e), o->f);
		return;
	}
	json_print_line(o->f, event_json(e, probe_name));
}

void output_capture(struct output *o, const struct pktpath_capture *c)
{
	size_t n = c->caplen <= PKTPATH_MAX_SNAPLEN ? c->caplen : PKTPATH_MAX_SNAPLEN;
	size_t hdr = offsetof(struct pktpath_capture, data);
	char hex[2 * PKTPATH_MAX_SNAPLEN + 1];
	if (!o->json) {
		frame_header(o->f, FRAME_CAPTURE, hdr + n);
		fwrite(c, 1, hdr + n, o->f);
		return;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->data[i]);
	hex[2 * n] = 0;
	json_print_line(o->f, json_pack("{s:s,s:I,s:I,s:I,s:s,s:I,s:s}", "type", "capture", "packet",
	                                (json_int_t)c->packet_id, "probe", (json_int_t)c->probe_id, "ts",
	                                (json_int_t)c->ktime_ns, "view", c->flags & CAP_L2 ? "l2" : "l3", "len",
	                                (json_int_t)c->wire_len, "data", hex));
}

void output_task(struct output *o, const struct pktpath_task *k)
{
	if (!o->json) {
		frame_header(o->f, FRAME_TASK, sizeof(*k));
		fwrite(k, 1, sizeof(*k), o->f);
		return;
	}
	char comm[sizeof(k->comm) + 1] = { 0 };
	memcpy(comm, k->comm, sizeof(k->comm));
	json_print_line(o->f,
	                json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "type", "task", "packet", (json_int_t)k->packet_id,
	                          "probe", (json_int_t)k->probe_id, "ts", (json_int_t)k->ktime_ns, "tgid",
	                          (json_int_t)k->tgid, "pid", (json_int_t)k->pid, "comm", json_text(comm)));
}

void output_status(struct output *o, json_t *rec)
{
	char *text = rec ? json_dumps(rec, JSON_OUT_FLAGS) : NULL;
	json_decref(rec);
	if (!text)
		return;
	if (o->json) {
		fputs(text, o->f);
		fputc('\n', o->f);
	} else {
		size_t len = strlen(text);
		frame_header(o->f, o->hello_sent ? FRAME_STATUS : FRAME_HELLO, len);
		fwrite(text, 1, len, o->f);
	}
	o->hello_sent = true;
	free(text);
}

int output_flush(struct output *o)
{
	return fflush(o->f) != 0 || ferror(o->f);
}
