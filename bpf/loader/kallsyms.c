// SPDX-License-Identifier: MIT
#include "kallsyms.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "btf_skb.h"

struct ksym {
	uint64_t addr;
	char *name;
};

/* Appends (addr, name) to *v; false when out of memory. */
static bool push(struct ksym **v, size_t *n, size_t *cap, uint64_t addr, const char *name)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 65536;
		struct ksym *nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return false;
		*v = nv;
		*cap = ncap;
	}
	if (!((*v)[*n].name = strdup(name)))
		return false;
	(*v)[(*n)++].addr = addr;
	return true;
}
static struct ksym *by_addr, *by_name;
static size_t n;

static int cmp_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct ksym *)a)->addr, y = ((const struct ksym *)b)->addr;
	return x < y ? -1 : x > y;
}
static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct ksym *)a)->name, ((const struct ksym *)b)->name);
}

int kallsyms_load(void)
{
	if (n)
		return 0;
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || (type != 't' && type != 'T') || !addr)
			continue;
		if (!push(&by_addr, &n, &cap, addr, name))
			break;
	}
	fclose(f);
	if (!n)
		return -1;
	by_name = malloc(n * sizeof(*by_name));
	if (!by_name) {
		n = 0;
		return -1;
	}
	memcpy(by_name, by_addr, n * sizeof(*by_name));
	qsort(by_addr, n, sizeof(*by_addr), cmp_addr);
	qsort(by_name, n, sizeof(*by_name), cmp_name);
	return 0;
}

uint64_t kallsyms_addr(const char *name)
{
	struct ksym key = { 0, (char *)name }, *k;
	if (!n || !(k = bsearch(&key, by_name, n, sizeof(key), cmp_name)))
		return 0;
	/* several static functions may share a name: the lowest address, like the kernel's lookup */
	while (k > by_name && !strcmp(k[-1].name, name))
		k--;
	return k->addr;
}

const char *kallsyms_sym(uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = n;
	if (!n || addr < by_addr[0].addr)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (by_addr[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*off = addr - by_addr[lo].addr;
	return by_addr[lo].name;
}

/* available_filter_functions_addrs (6.5+): the ftrace site of each traceable function, so a name that several
 * static functions share resolves to one ftrace can attach to. */
static struct ksym *ff;
static size_t nff;
static int ff_loaded;

static void ftrace_addrs_load(void)
{
	char path[96], line[512], name[256];
	unsigned long long addr;
	size_t cap = 0;
	ff_loaded = 1;
	snprintf(path, sizeof(path), "%s/available_filter_functions_addrs",
	         tracefs_dir() ? tracefs_dir() : "/sys/kernel/tracing");
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %255s", &addr, name) != 2)
			continue;
		if (!push(&ff, &nff, &cap, addr, name))
			break;
	}
	fclose(f);
	qsort(ff, nff, sizeof(*ff), cmp_name);
}

uint64_t traceable_addr(const char *name)
{
	if (kallsyms_load())
		return 0;
	if (!ff_loaded)
		ftrace_addrs_load();
	struct ksym key = { 0, (char *)name }, *k;
	if (!nff || !(k = bsearch(&key, ff, nff, sizeof(key), cmp_name)))
		return kallsyms_addr(name);
	while (k > ff && !strcmp(k[-1].name, name))
		k--;
	/* the ftrace site may sit after an ENDBR: the function's start is the symbol that contains it */
	uint64_t off = 0;
	const char *sym = kallsyms_sym(k->addr, &off);
	return sym && !strcmp(sym, name) ? k->addr - off : kallsyms_addr(name);
}
