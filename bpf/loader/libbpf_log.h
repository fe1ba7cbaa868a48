/* SPDX-License-Identifier: MIT */
/* libbpf's messages: hidden (PKTPATH_LOADER_DEBUG=1 shows them on stderr), the last warning kept because it says
 * why a load or attach failed. libbpf's print callback takes no context, so this is process-wide. */
#ifndef LIBBPF_LOG_H
#define LIBBPF_LOG_H

void libbpf_log_install(void);
/* The last warning since libbpf_log_clear, "" if none. */
const char *libbpf_log_last(void);
void libbpf_log_clear(void);
#endif
