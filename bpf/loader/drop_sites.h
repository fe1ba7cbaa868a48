/* SPDX-License-Identifier: MIT */
/* Symbols for kfree_skb's `location` (EV_LOCATION events): one `symbol` status record per new address, written
 * before the event that carries it, so the core names the function that freed (dropped) a packet. */
#ifndef DROP_SITES_H
#define DROP_SITES_H
#include "output.h"
void drop_sites_note(struct output *o, const struct pktpath_event *e);
#endif
