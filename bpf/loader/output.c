// SPDX-License-Identifier: MIT
#include "output.h"
#include "btf_skb.h"
#include "json.h"
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
	/* little-endian on both supported arches; written field by field to be explicit */
	__u32 len = 8 + payload;
	unsigned char h[8] = { len, len >> 8, len >> 16, len >> 24, type & 0xff, type >> 8, 0, 0 };
	fwrite(h, 1, 8, f);
}

static const char *proto_name(__u8 p)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmpv6";
	default: return NULL;
	}
}

void output_event(struct output *o, const struct pktpath_event *e, const char *probe_name)
{
	if (!o->json) {
		frame_header(o->f, FRAME_EVENT, sizeof(*e));
		fwrite(e, 1, sizeof(*e), o->f);
		return;
	}
	FILE *f = o->f;
	fprintf(f, "{\"type\":\"event\",\"packet\":%u,\"probe\":%u,\"name\":", e->packet_id, e->probe_id);
	json_write_str(f, probe_name);
	fprintf(f, ",\"ts\":%llu,\"cpu\":%u,\"netns\":%u,\"ifindex\":%u,\"len\":%u,\"mark\":%u,\"skb\":\"0x%llx\"",
		(unsigned long long)e->ktime_ns, e->cpu, e->netns, e->ifindex, e->len, e->mark,
		(unsigned long long)e->skb);
	if (e->flags & EV_FIRST)
		fprintf(f, ",\"first\":true,\"view\":\"%s\"", e->flags & EV_L2 ? "l2" : "l3");
	if (e->flags & EV_PARTIAL)
		fputs(",\"partial\":true", f);
	if (e->flags & EV_FREE)
		fputs(",\"free\":true", f);
	if (e->flags & EV_TUPLE) {
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		int af = e->ip_version == 6 ? AF_INET6 : AF_INET;
		inet_ntop(af, e->saddr, s, sizeof(s));
		inet_ntop(af, e->daddr, d, sizeof(d));
		const char *pn = proto_name(e->l4proto);
		fprintf(f, ",\"tuple\":{\"ip\":%u,\"proto\":", e->ip_version);
		if (pn)
			fprintf(f, "\"%s\"", pn);
		else
			fprintf(f, "%u", e->l4proto);
		fprintf(f, ",\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u}", s, d, e->sport, e->dport);
	}
	if (e->flags & EV_DROP) {
		const char *rn = drop_reason_name(e->drop_reason);
		fprintf(f, ",\"drop\":{\"reason\":%u,\"name\":", e->drop_reason);
		json_write_str(f, rn ? rn : "?");
		fputs("}", f);
	}
	if (e->flags & EV_STACK)
		fprintf(f, ",\"stack\":%d", e->stack_id);
	if (e->flags & EV_RETVAL)
		fprintf(f, ",\"retval\":%lld", (long long)e->retval);
	if (e->flags & EV_LOCATION)
		fprintf(f, ",\"location\":\"0x%llx\"", (unsigned long long)e->retval);
	fputs("}\n", f);
}

void output_capture(struct output *o, const struct pktpath_capture *c)
{
	size_t n = c->caplen <= PKTPATH_MAX_SNAPLEN ? c->caplen : PKTPATH_MAX_SNAPLEN;
	size_t hdr = offsetof(struct pktpath_capture, data);
	if (!o->json) {
		frame_header(o->f, FRAME_CAPTURE, hdr + n);
		fwrite(c, 1, hdr + n, o->f);
		return;
	}
	fprintf(o->f, "{\"type\":\"capture\",\"packet\":%u,\"probe\":%u,\"ts\":%llu,\"view\":\"%s\",\"len\":%u,\"data\":\"",
		c->packet_id, c->probe_id, (unsigned long long)c->ktime_ns, c->flags & CAP_L2 ? "l2" : "l3", c->wire_len);
	for (size_t i = 0; i < n; i++)
		fprintf(o->f, "%02x", c->data[i]);
	fputs("\"}\n", o->f);
}

FILE *output_status_begin(struct output *o)
{
	free(o->status_buf);
	o->status_buf = NULL;
	o->status_len = 0;
	o->status = open_memstream(&o->status_buf, &o->status_len);
	return o->status;
}

void output_status_end(struct output *o)
{
	fclose(o->status);
	o->status = NULL;
	if (o->json) {
		fwrite(o->status_buf, 1, o->status_len, o->f);
		fputc('\n', o->f);
	} else {
		frame_header(o->f, o->hello_sent ? FRAME_STATUS : FRAME_HELLO, o->status_len);
		fwrite(o->status_buf, 1, o->status_len, o->f);
	}
	o->hello_sent = true;
}

int output_flush(struct output *o)
{
	return fflush(o->f) != 0 || ferror(o->f);
}
