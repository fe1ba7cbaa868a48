// SPDX-License-Identifier: MIT
/* libFuzzer: any cBPF program libpcap's validator accepts, on any packet. Its eBPF translations (direct object
 * and the others) are both refused with a message (always when an opcode is not one libpcap knows: its
 * interpreter aborts on those) or both run without a fault (interpreter: in-range jumps, stack and packet
 * bounds) and match exactly when libpcap's own interpreter does. Input: u8 instruction count, 8 bytes per instruction (code u16,
 * jt, jf, k u32), u8 bytes readable, then the packet. */
#include "filter_diff.h"
#include "pcap_ref.h"
#include <stdlib.h>
#include <string.h>

/* cBPF leaves the scratch memory undefined and the translation zeroes it: both start from stores of 0 */
#define PROLOGUE 17

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cbpf_insn prog[PROLOGUE + 255];
	char err[256] = "";
	int matched;
	if (size < 2)
		return 0;
	int n = data[0], total = PROLOGUE + n;
	if (size < 2 + 8 * (size_t)n)
		return 0;
	prog[0] = (struct cbpf_insn){ 0x00, 0, 0, 0 }; /* ld #0 */
	for (int m = 0; m < 16; m++)
		prog[1 + m] = (struct cbpf_insn){ 0x02, 0, 0, (uint32_t)m }; /* st M[m] */
	for (int i = 0; i < n; i++) {
		const uint8_t *p = data + 1 + 8 * i;
		memcpy(&prog[PROLOGUE + i].code, p, 2);
		prog[PROLOGUE + i].jt = p[2];
		prog[PROLOGUE + i].jf = p[3];
		memcpy(&prog[PROLOGUE + i].k, p + 4, 4);
	}
	const uint8_t *pkt = data + 1 + 8 * n;
	size_t left = size - 1 - 8 * (size_t)n;
	unsigned len = left > 1 ? (unsigned)(left - 1) : 0, readable = pkt[0] % (len + 1);
	if (!pcap_ref_valid(prog, total))
		return 0;
	enum diff_result d = filter_diff(prog, total, pkt + 1, readable, len, &matched, err, sizeof(err));
	if (d == DIFF_UNTRANSLATED ? !err[0] : d != DIFF_SAME)
		abort();
	return 0;
}
