// SPDX-License-Identifier: MIT
#include "attach_backends.h"
#include <pthread.h>

struct job {
	struct trace_ctx *c;
	int from, step;
	void (*fn)(struct trace_ctx *, int);
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	for (int i = j->from; i < j->c->probes.n; i += j->step)
		j->fn(j->c, i);
	return NULL;
}

void for_each_probe_parallel(struct trace_ctx *c, int threads, void (*fn)(struct trace_ctx *, int))
{
	pthread_t th[16];
	struct job jobs[16];
	bool started[16] = { 0 };
	threads = threads < 1 ? 1 : threads > 16 ? 16 : threads;
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct job){ c, t, threads, fn };
		started[t] = pthread_create(&th[t], NULL, run_job, &jobs[t]) == 0;
	}
	for (int t = 0; t < threads; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else /* no thread: this share runs here */
			run_job(&jobs[t]);
	}
}
