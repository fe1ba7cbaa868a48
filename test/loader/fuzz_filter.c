// SPDX-License-Identifier: MIT
/* libFuzzer: filter text through the loader's compiler (libpcap for both views, then the translation). A filter
 * compiles for at least one view or is refused with libpcap's message; each compiled view agrees with libpcap's
 * interpreter on a packet. Input: u8 packet length, the packet, then the filter text. */
#include "../../bpf/loader/filter_compile.h"
#include "filter_diff.h"
#include <stdlib.h>
#include <string.h>

static void check_view(const char *filter, int v, const uint8_t *pkt, unsigned len)
{
	struct cbpf_insn *c = NULL;
	char err[256] = "";
	int matched;
	int n = pcap_compile_view(filter, v ? VIEW_L3 : VIEW_L2, &c, err, sizeof(err));
	if (n < 0)
		return;
	/* libpcap's own output must always translate, both ways */
	if (filter_diff(c, n, pkt, len, len, &matched, err, sizeof(err)) != DIFF_SAME)
		abort();
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096 || (size_t)data[0] + 1 > size)
		return 0;
	unsigned len = data[0];
	const uint8_t *pkt = data + 1;
	size_t flen = size - 1 - len;
	char *filter = malloc(flen + 1);
	struct filter_views fv;
	char err[512] = "";
	if (!filter)
		return 0;
	memcpy(filter, pkt + len, flen);
	filter[flen] = 0;
	if (filter_compile(filter, false, &fv, err, sizeof(err)) == 0) {
		filter_views_free(&fv);
		check_view(filter, 0, pkt, len);
		check_view(filter, 1, pkt, len);
	} else if (strncmp(err, "filter: ", 8)) {
		abort();
	}
	free(filter);
	return 0;
}
