// SPDX-License-Identifier: MIT
#include "tp_cover.h"
#include <stdio.h>
#include <string.h>

/* Tracepoints fired inside a function a trace often probes anyway. With every tracepoint requested ("all"), one
 * whose function is attached is left out: the path keeps that function's hop at the same point, and a packet
 * costs one hook less there. `inside` fires it; else each of `callers` this kernel has must be attached (the
 * function that fires it is static and may be inlined into them). */
struct tp_cover {
	const char *tp, *inside;
	const char *callers[7];
};
static const struct tp_cover tp_covers[] = {
	{ "net_dev_queue", "__dev_queue_xmit", { NULL } },
	{ "netif_receive_skb_entry", "netif_receive_skb", { NULL } },
	{ "netif_rx_entry", NULL, { "netif_rx", "__netif_rx", NULL } },
	{ "netif_rx",
	  "netif_rx_internal",
	  { "netif_rx", "__netif_rx", "netif_rx_ni", "netif_rx_any_context", "dev_forward_skb", "dev_forward_skb_nomtu",
	    NULL } },
};

/* The attached callers, comma-separated in by; false when none is or this kernel has one that is not. */
static bool callers_cover(const char *const *callers, func_pred attached, func_pred has, const void *arg, char *by,
                          size_t len)
{
	size_t n = 0;
	for (int j = 0; callers[j]; j++) {
		if (attached(arg, callers[j]))
			n += (size_t)snprintf(by + n, len - n, "%s%s", n ? "," : "", callers[j]);
		else if (has(arg, callers[j]))
			return false;
		if (n >= len)
			return false;
	}
	return n > 0;
}

bool tp_covered(const char *tp, func_pred attached, func_pred has, const void *arg, char *by, size_t len)
{
	if (!len)
		return false;
	by[0] = 0;
	for (size_t k = 0; k < sizeof(tp_covers) / sizeof(tp_covers[0]); k++) {
		const struct tp_cover *v = &tp_covers[k];
		if (strcmp(v->tp, tp))
			continue;
		if (v->inside && attached(arg, v->inside)) {
			if (snprintf(by, len, "%s", v->inside) < (int)len)
				return true;
		} else if (callers_cover(v->callers, attached, has, arg, by, len))
			return true;
		by[0] = 0;
		return false;
	}
	return false;
}
