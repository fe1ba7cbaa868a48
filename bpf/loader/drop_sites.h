/* SPDX-License-Identifier: MIT */
/* Symbols for kfree_skb's `location` (EV_LOCATION events): one `symbol` status record per new address, written
 * before the event that carries it, so the core names the function that freed (dropped) a packet. */
#ifndef DROP_SITES_H
#define DROP_SITES_H
#include "output.h"
void drop_sites_note(struct output *o, const struct pktpath_event *e);
/* Kernel stacks (EV_STACK events): one `stack` status record per new stack id, its frames symbolized from
 * /proc/kallsyms (`sym+0xoff`, innermost first), written before the first event that carries the id. `stacks_fd`:
 * the object's stack-trace map. */
void stacks_note(struct output *o, const struct pktpath_event *e, int stacks_fd);
#endif
