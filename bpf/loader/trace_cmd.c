// SPDX-License-Identifier: MIT
/* `loader trace`: config on stdin, attach, stream events on stdout, detach on a limit, a signal or stdin EOF.
 * One context (trace_ctx.h) holds the run; one teardown releases it on every path. */
#define _GNU_SOURCE
#include "attach_backends.h"
#include "config_read.h"
#include "drop_sites.h"
#include "func_attach.h"
#include "libbpf_log.h"
#include "loader.h"
#include "trace_load.h"
#include "trace_plan.h"
#include "trace_status.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* After the packet limit: how long packets in flight get to reach their free before the trace ends anyway. */
#define LIMIT_GRACE_MS 1000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

__u64 now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

const char *stop_reason_name(enum stop_reason r)
{
	static const char *const names[] = { "error",     "packets", "duration",      "events",           "signal",
		                             "stdin-eof", "stop",    "stdout-closed", "nothing-attached", "error" };
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "error";
}

_Static_assert(sizeof(struct pktpath_task) != sizeof(struct pktpath_event) &&
                       sizeof(struct pktpath_task) != sizeof(struct pktpath_capture) &&
                       sizeof(struct pktpath_capture) != sizeof(struct pktpath_event),
               "ring buffer records are told apart by their size");

static int handle_event(void *ctx, void *data, size_t size)
{
	struct trace_ctx *c = ctx;
	__u64 max = c->cfg.max_events;
	/* past the event limit nothing more is written; any other stop still drains what the kernel wrote (the
	 * last hops of packets in flight, their frees) */
	if (size == sizeof(struct pktpath_capture)) {
		if (!max || c->events_seen < max)
			output_capture(&c->out, data);
		return 0;
	}
	if (size == sizeof(struct pktpath_task)) {
		if (!max || c->events_seen < max)
			output_task(&c->out, data);
		return 0;
	}
	if (size < sizeof(struct pktpath_event) || (max && c->events_seen >= max))
		return 0;
	const struct pktpath_event *e = data;
	drop_sites_note(&c->out, e);
	stacks_note(&c->out, e, bpf_map__fd(c->skel->maps.stacks));
	output_event(&c->out, e, e->probe_id < (__u32)c->probes.n ? c->probes.v[e->probe_id].name : "?");
	c->events_seen++;
	if (max && c->events_seen >= max && !c->stop)
		c->stop = STOP_EVENTS;
	return 0;
}

/* Process set-up a trace needs: locked memory, fds for thousands of fentry links, signals. */
static void process_setup(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &rl);
	/* fentry/fexit hold two fds per function: "all" is thousands */
	struct rlimit nf = { 1 << 20, 1 << 20 };
	if (setrlimit(RLIMIT_NOFILE, &nf) && !getrlimit(RLIMIT_NOFILE, &nf)) {
		nf.rlim_cur = nf.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nf);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

/* Config, filter, probe table and the loaded object. Returns 0 or -1 with err (nothing attached yet). */
static int prepare(struct trace_ctx *c, char *err, size_t errlen)
{
	const struct config *cfg = &c->cfg;
	if (config_read_fd(0, &c->cfg, c->rest, sizeof(c->rest), err, errlen))
		return -1;
	libbpf_log_install();
	process_setup();
	if (trace_use_object(c, trace_pick_object(), err, errlen))
		return -1;
	if (filter_register_handlers(&c->filter)) {
		snprintf(err, errlen, "cannot register libbpf section handlers");
		return -1;
	}
	if (plan_fixed(c, err, errlen))
		return -1;
	bool want_funcs = cfg->fn_mode != LIST_NONE && cfg->attach != BK_RAW_TP && cfg->attach != BK_TC;
	if (want_funcs && skb_funcs_load(&c->funcs)) {
		snprintf(err, errlen, "no BTF on this kernel: function probes need /sys/kernel/btf/vmlinux");
		return -1;
	}
	c->t_attach = now_ms();
	enum probe_kind first = backend_probe_kind(cfg->attach == BK_AUTO ? BK_KPROBE_MULTI : cfg->attach);
	int usable = want_funcs ? plan_functions(c, first) : 0;
	if (usable < 0) {
		snprintf(err, errlen, "probes: out of memory");
		return -1;
	}
	return trace_load(c, usable, err, errlen);
}

static void attach_all(struct trace_ctx *c)
{
	if (c->nchain)
		attach_functions(c);
	fixed_attach(c);
	c->attach_ms = now_ms() - c->t_attach;
	for (int i = 0; i < c->probes.n; i++)
		if (c->probes.v[i].attached && (c->probes.v[i].cookie & PROBE_END))
			c->skel->bss->fn_tail = true;
	attach_slab_free(c, c->skel->bss->fn_tail);
}

/* Reads stdin: EOF (the session died) or a "stop" line end the run. */
static void poll_stdin(struct trace_ctx *c)
{
	char in[256];
	ssize_t n = read(0, in, sizeof(in) - 1);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->stop = STOP_STDIN_EOF;
		return;
	}
	if (n > 0) {
		in[n] = 0;
		if (strstr(in, "stop"))
			c->stop = STOP_STOP;
	}
}

/* The limits checked between polls; sets c->stop. */
static void check_limits(struct trace_ctx *c, __u64 now, __u64 *limit_reached_at)
{
	if (c->cfg.duration_ms && now - c->t_run >= c->cfg.duration_ms && !c->stop)
		c->stop = STOP_DURATION;
	if (c->cfg.max_packets && c->skel->bss->limited_packets >= c->cfg.max_packets && !c->stop) {
		/* no new packet matches any more (the kernel checks the same limit); those in flight get to finish
		 * their paths: until each is freed, or the grace expires (they are reported in done's "cut") */
		if (!*limit_reached_at)
			*limit_reached_at = now;
		if (c->skel->bss->live_packets <= 0 || now - *limit_reached_at >= LIMIT_GRACE_MS)
			c->stop = STOP_PACKETS;
	}
}

/* Streams events until a limit, a signal, stdin or stdout ends the run. */
static void run_loop(struct trace_ctx *c)
{
	__u64 last_stats = c->t_run, limit_reached_at = 0;
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	while (!c->stop) {
		struct pollfd pfd[2] = { { ring_buffer__epoll_fd(c->rb), POLLIN, 0 }, { 0, POLLIN, 0 } };
		int r = poll(pfd, 2, 100);
		if (got_signal) {
			c->stop = STOP_SIGNAL;
			break;
		}
		if (r > 0 && pfd[0].revents)
			ring_buffer__consume(c->rb);
		if (r > 0 && pfd[1].revents)
			poll_stdin(c);
		if (c->stop == STOP_STDIN_EOF)
			break;
		__u64 now = now_ms();
		check_limits(c, now, &limit_reached_at);
		if (now - last_stats >= 1000) {
			status_stats(c, false);
			last_stats = now;
		}
		if (output_flush(&c->out) && !c->stop)
			c->stop = STOP_STDOUT_CLOSED;
	}
}

/* Releases everything the run holds, whatever stage it reached: the kernel side first, then what it already
 * wrote is drained, then `detached` (when it streamed) and `done`. */
static void teardown(struct trace_ctx *c, bool streamed)
{
	__u64 t_detach = now_ms();
	if (c->skel) {
		detach_functions(c);
		fixed_detach(c);
		if (c->rb)
			ring_buffer__consume(c->rb);
		if (streamed)
			status_detached(c, now_ms() - t_detach);
		status_stats(c, true); /* always the last record */
		output_flush(&c->out);
	}
	ring_buffer__free(c->rb);
	pktpath_bpf__destroy(c->skel);
	filter_code_free(&c->filter);
	skb_funcs_free(&c->funcs);
	probe_table_free(&c->probes);
	config_free(&c->cfg);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_ctx c = { 0 };
	char err[1024];
	bool json = false;
	int rc = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json"))
			return fail_json("trace: unknown option %s", argv[i]);
		json = true;
	}
	if (prepare(&c, err, sizeof(err))) {
		rc = fail_json("%s", err);
		goto cleanup;
	}
	output_init(&c.out, stdout, json);
	status_hello(&c);
	attach_all(&c);
	status_attached(&c);
	output_flush(&c.out);
	c.rb = ring_buffer__new(bpf_map__fd(c.skel->maps.events), handle_event, &c, NULL);
	int attached = 0;
	for (int i = 0; i < c.probes.n; i++)
		attached += c.probes.v[i].attached;
	if (!c.rb || !attached) {
		c.stop = c.rb ? STOP_NOTHING_ATTACHED : STOP_ERROR;
		rc = c.rb ? 3 : 1;
		goto cleanup;
	}
	if (strstr(c.rest, "stop"))
		c.stop = STOP_STOP;
	c.t_run = now_ms();
	run_loop(&c);
	teardown(&c, true);
	return 0;
cleanup:
	teardown(&c, false);
	return rc;
}
