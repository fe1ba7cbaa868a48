// SPDX-License-Identifier: MIT
#include "cbpf_to_ebpf.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Register use. r6..r9 survive helper calls, so the cBPF machine state lives there. */
#define R_DATA 6 /* packet address; direct: the window pointer (r4), the address then at OFF_WIN */
#define R_LIN  7 /* readable (linear) bytes from R_DATA */
#define R_A    8
#define R_X    9
/* Stack: wire length, the 16 cBPF scratch words, an 8-byte buffer for packet loads, then the packet's first bytes
 * copied once by the prologue (the window: as many as the filter's constant-offset loads reach, at most WIN, placed
 * 0-3 bytes in so that most of those loads are aligned). A filter's constant-offset loads (ethertype,
 * addresses, protocol) mostly fall in the first 64 bytes: one helper call instead of one per load, which is most
 * of the cost of a packet the filter refuses, at every probe. */
#define OFF_LEN    (-8)
#define OFF_MEM(k) (-16 - 8 * (int)(k))
#define OFF_BUF    (-144)
#define WIN        CBPF_WIN
#define OFF_WIN    CBPF_OFF_WIN

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* cBPF opcode fields (linux/filter.h would pull in more than we need) */
#define C_CLASS(c)  ((c)&0x07)
#define C_SIZE(c)   ((c)&0x18)
#define C_MODE(c)   ((c)&0xe0)
#define C_OP(c)     ((c)&0xf0)
#define C_SRC(c)    ((c)&0x08)
#define C_RVAL(c)   ((c)&0x18)
#define C_MISCOP(c) ((c)&0xf8)
#define C_LD        0x00
#define C_LDX       0x01
#define C_ST        0x02
#define C_STX       0x03
#define C_ALU       0x04
#define C_JMP       0x05
#define C_RET       0x06
#define C_MISC      0x07
#define C_W         0x00
#define C_H         0x08
#define C_B         0x10
#define C_IMM       0x00
#define C_ABS       0x20
#define C_IND       0x40
#define C_MEM       0x60
#define C_LEN       0x80
#define C_MSH       0xa0
#define C_K         0x00
#define C_X         0x08
#define C_A         0x10
#define C_JA        0x00
#define C_JEQ       0x10
#define C_JGT       0x20
#define C_JGE       0x30
#define C_JSET      0x40
#define C_TAX       0x00
#define C_TXA       0x80

#define RET0 (-1) /* jump target: the shared "no match" exit */

struct fixup {
	int at, target; /* a jump to patch: eBPF index -> cBPF index (or RET0) */
};

struct out {
	bool direct; /* window loads through R_DATA, the read-only pointer; nothing copied */
	/* the window (plan_window): bytes copied (0: no copy), the shift that aligns most loads, scratch words read */
	uint32_t need;
	int shift;
	bool mem_read[16];
	bool helper_loads; /* some load is outside the window: a bpf_probe_read_kernel of its own */
	struct bpf_insn *v;
	int n, cap;
	struct fixup *fix;
	int nfix, capfix;
	bool oom;       /* an allocation failed: emits are dropped and the translation fails at the end */
	bool uses_ret0; /* something jumps to the shared "no match" exit */
};

/* Grows *v (elements of `size`) to hold one more than *n; false when out of memory. */
static bool grow(void **v, int n, int *cap, size_t size, int first)
{
	if (n < *cap)
		return true;
	int ncap = *cap ? *cap * 2 : first;
	void *nv = ncap > 0 ? realloc(*v, (size_t)ncap * size) : NULL;
	if (!nv)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

static void emit(struct out *o, struct bpf_insn i)
{
	if (!o->oom && !grow((void **)&o->v, o->n, &o->cap, sizeof(*o->v), 256))
		o->oom = true;
	if (!o->oom)
		o->v[o->n++] = i;
}

/* A jump whose offset is patched once every cBPF instruction has its eBPF position. */
static void emit_jmp(struct out *o, struct bpf_insn i, int target)
{
	if (!o->oom && !grow((void **)&o->fix, o->nfix, &o->capfix, sizeof(*o->fix), 64))
		o->oom = true;
	if (o->oom)
		return;
	o->fix[o->nfix].at = o->n;
	o->fix[o->nfix++].target = target;
	emit(o, i);
}

/* The opcodes libpcap's compiler and interpreter know (bpf_filter.c); any other bits make the instruction
 * something libpcap never emits, so it is refused rather than read loosely through the field masks. */
static bool known_code(uint16_t code)
{
	static const uint8_t codes[] = {
		0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x16, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x60,
		0x61, 0x80, 0x81, 0x84, 0x87, 0xb1, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, /* ld, jmp, ret, misc */
		0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74,
		0x7c, 0x94, 0x9c, 0xa4, 0xac, /* alu: add sub mul div or and lsh rsh mod xor, K and X */
	};
	for (size_t i = 0; i < sizeof(codes); i++)
		if (code == codes[i])
			return true;
	return false;
}

/* Loads `size` bytes of packet at the packet address + r3 into `dst` (host order), or exits with "no match" when
 * they are past the readable bytes. r3 holds the offset; r4 is scratch. */
static void emit_packet_load(struct out *o, int size, int dst)
{
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 3, 0, 0));
	emit(o, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, size));
	emit_jmp(o, INSN(BPF_JMP | BPF_JGT | BPF_X, 4, R_LIN, 0, 0), RET0);
	if (o->direct) { /* the verifier allows no variable offset on the window pointer: the address, as a number */
		emit(o, INSN(BPF_LDX | BPF_MEM | BPF_DW, 4, BPF_REG_10, OFF_WIN, 0));
		emit(o, INSN(BPF_ALU64 | BPF_ADD | BPF_X, 3, 4, 0, 0));
	} else {
		emit(o, INSN(BPF_ALU64 | BPF_ADD | BPF_X, 3, R_DATA, 0, 0));
	}
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, BPF_REG_10, 0, 0));
	emit(o, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, OFF_BUF));
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, size));
	emit(o, INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel));
	emit_jmp(o, INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0), RET0);
	int bsz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
	emit(o, INSN(BPF_LDX | BPF_MEM | bsz, dst, BPF_REG_10, OFF_BUF, 0));
	if (size > 1) /* packet bytes are big-endian; TO_BE swaps on little-endian hosts and is a no-op otherwise */
		emit(o, INSN(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8));
}

/* r3 = constant offset k; offsets that do not fit a signed immediate can never be inside a packet. */
static bool emit_off_k(struct out *o, uint32_t k)
{
	if (k > INT32_MAX - 8) {
		emit_jmp(o, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), RET0);
		return false;
	}
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, (int32_t)k));
	return true;
}

/* Loads `size` bytes at constant offset k from the window (k + size within the o->need bytes copied, or WIN in the
 * direct object) into `dst` (host order), or exits with "no match" when they are past the readable bytes (R_LIN):
 * the window may hold bytes past them, which are never used. */
static void emit_window_load(struct out *o, uint32_t k, int size, int dst)
{
	int bsz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B, at = OFF_WIN + o->shift + (int)k;
	emit_jmp(o, INSN(BPF_JMP | BPF_JLT | BPF_K, R_LIN, 0, 0, (int32_t)k + size), RET0);
	if (o->direct || (o->shift + k) % (uint32_t)size == 0) {
		if (o->direct) /* kernel memory: unaligned loads are fine on the arches pktpath ships for */
			emit(o, INSN(BPF_LDX | BPF_MEM | bsz, dst, R_DATA, (int16_t)k, 0));
		else
			emit(o, INSN(BPF_LDX | BPF_MEM | bsz, dst, BPF_REG_10, at, 0));
		if (size > 1)
			emit(o, INSN(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8));
		return;
	}
	/* the verifier takes only aligned stack loads: byte by byte, which also puts them in network order */
	emit(o, INSN(BPF_LDX | BPF_MEM | BPF_B, dst, BPF_REG_10, at, 0));
	for (int b = 1; b < size; b++) {
		emit(o, INSN(BPF_ALU | BPF_LSH | BPF_K, dst, 0, 0, 8));
		emit(o, INSN(BPF_LDX | BPF_MEM | BPF_B, 4, BPF_REG_10, at + b, 0));
		emit(o, INSN(BPF_ALU | BPF_OR | BPF_X, dst, 4, 0, 0));
	}
}

/* Loads `size` bytes at constant offset k: from the window when they lie in it. False when k is past any packet
 * (the code jumps to "no match", and nothing may follow it: the verifier rejects unreachable instructions). */
static bool emit_load_k(struct out *o, uint32_t k, int size, int dst)
{
	if ((uint64_t)k + (uint64_t)size <= (o->direct ? WIN : o->need)) {
		emit_window_load(o, k, size, dst);
		return true;
	}
	if (!emit_off_k(o, k))
		return false;
	emit_packet_load(o, size, dst);
	return true;
}

/* Loads into A or X. Returns -1 for an instruction this class does not have. */
static int tr_load(struct out *o, const struct cbpf_insn *c)
{
	uint16_t code = c->code;
	uint32_t k = c->k;
	int dst = C_CLASS(code) == C_LD ? R_A : R_X;
	int size = C_SIZE(code) == C_W ? 4 : C_SIZE(code) == C_H ? 2 : 1;
	switch (C_MODE(code)) {
	case C_IMM:
		emit(o, INSN(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)k));
		return 0;
	case C_LEN:
		emit(o, INSN(BPF_LDX | BPF_MEM | BPF_DW, dst, BPF_REG_10, OFF_LEN, 0));
		emit(o, INSN(BPF_ALU | BPF_MOV | BPF_X, dst, dst, 0, 0)); /* zero-extend to 32 bits */
		return 0;
	case C_MEM:
		if (k >= 16)
			return -1;
		emit(o, INSN(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, OFF_MEM(k), 0));
		return 0;
	case C_ABS:
		if (C_CLASS(code) != C_LD)
			return -1;
		emit_load_k(o, k, size, dst);
		break;
	case C_IND:
		if (C_CLASS(code) != C_LD)
			return -1;
		if (k > INT32_MAX - 8) {
			emit_jmp(o, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), RET0);
		} else {
			emit(o, INSN(BPF_ALU | BPF_MOV | BPF_X, 3, R_X, 0, 0));
			emit(o, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, (int32_t)k));
			emit_packet_load(o, size, dst);
		}
		break;
	case C_MSH: /* X = 4 * (P[k] & 0xf): the IPv4 header length */
		if (C_CLASS(code) != C_LDX || C_SIZE(code) != C_B)
			return -1;
		if (emit_load_k(o, k, 1, R_X)) {
			emit(o, INSN(BPF_ALU | BPF_AND | BPF_K, R_X, 0, 0, 0xf));
			emit(o, INSN(BPF_ALU | BPF_LSH | BPF_K, R_X, 0, 0, 2));
		}
		break;
	default:
		return -1;
	}
	o->uses_ret0 = true; /* packet loads past the readable bytes end with "no match" */
	return 0;
}

static int tr_alu(struct out *o, const struct cbpf_insn *c)
{
	uint8_t op = C_OP(c->code);
	uint32_t k = c->k;
	if (op == BPF_NEG) {
		emit(o, INSN(BPF_ALU | BPF_NEG, R_A, 0, 0, 0));
		return 0;
	}
	if (op != BPF_ADD && op != BPF_SUB && op != BPF_MUL && op != BPF_DIV && op != BPF_OR && op != BPF_AND &&
	    op != BPF_LSH && op != BPF_RSH && op != BPF_MOD && op != BPF_XOR)
		return -1;
	if (C_SRC(c->code) == C_X) {
		if (op == BPF_DIV || op == BPF_MOD) { /* cBPF: division by zero ends with "no match" */
			emit_jmp(o, INSN(BPF_JMP32 | BPF_JEQ | BPF_K, R_X, 0, 0, 0), RET0);
			o->uses_ret0 = true;
		}
		if (op == BPF_LSH || op == BPF_RSH) { /* libpcap: a shift by 32 or more gives 0; eBPF masks the count */
			emit(o, INSN(BPF_JMP32 | BPF_JGE | BPF_K, R_X, 0, 2, 32));
			emit(o, INSN(BPF_ALU | op | BPF_X, R_A, R_X, 0, 0));
			emit(o, INSN(BPF_JMP | BPF_JA, 0, 0, 1, 0));
			emit(o, INSN(BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0));
			return 0;
		}
		emit(o, INSN(BPF_ALU | op | BPF_X, R_A, R_X, 0, 0));
		return 0;
	}
	if (((op == BPF_DIV || op == BPF_MOD) && k == 0) || ((op == BPF_LSH || op == BPF_RSH) && k >= 32))
		return -1;
	emit(o, INSN(BPF_ALU | op | BPF_K, R_A, 0, 0, (int32_t)k));
	return 0;
}

/* Instruction i of n: jump targets are cBPF indexes, patched once every instruction has its eBPF position. */
static int tr_jmp(struct out *o, const struct cbpf_insn *c, int i, int n)
{
	uint8_t op = C_OP(c->code);
	if (op == C_JA) {
		if ((uint64_t)i + 1 + c->k >= (uint64_t)n)
			return -1;
		emit_jmp(o, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), i + 1 + (int)c->k);
		return 0;
	}
	if (op != C_JEQ && op != C_JGT && op != C_JGE && op != C_JSET)
		return -1;
	if (i + 1 + c->jt >= n || i + 1 + c->jf >= n)
		return -1;
	/* cBPF and eBPF share these opcode values; JMP32 compares the low 32 bits like cBPF */
	if (C_SRC(c->code) == C_X)
		emit_jmp(o, INSN(BPF_JMP32 | op | BPF_X, R_A, R_X, 0, 0), i + 1 + c->jt);
	else
		emit_jmp(o, INSN(BPF_JMP32 | op | BPF_K, R_A, 0, 0, (int32_t)c->k), i + 1 + c->jt);
	if (c->jf)
		emit_jmp(o, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), i + 1 + c->jf);
	return 0;
}

/* Stores, returns and register moves. */
static int tr_other(struct out *o, const struct cbpf_insn *c)
{
	uint16_t code = c->code;
	switch (C_CLASS(code)) {
	case C_ST:
	case C_STX:
		if (c->k >= 16)
			return -1;
		emit(o,
		     INSN(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, C_CLASS(code) == C_ST ? R_A : R_X, OFF_MEM(c->k), 0));
		return 0;
	case C_RET:
		if (C_RVAL(code) == C_A)
			emit(o, INSN(BPF_ALU | BPF_MOV | BPF_X, 0, R_A, 0, 0));
		else if (C_RVAL(code) == C_K)
			emit(o, INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, c->k != 0));
		else
			return -1;
		emit(o, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		return 0;
	case C_MISC:
		if (C_MISCOP(code) == C_TAX)
			emit(o, INSN(BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0));
		else if (C_MISCOP(code) == C_TXA)
			emit(o, INSN(BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0));
		else
			return -1;
		return 0;
	default:
		return -1;
	}
}

static int tr_insn(struct out *o, const struct cbpf_insn *in, int i, int n)
{
	const struct cbpf_insn *c = &in[i];
	if (!known_code(c->code))
		return -1;
	switch (C_CLASS(c->code)) {
	case C_LD:
	case C_LDX:
		return tr_load(o, c);
	case C_ALU:
		return tr_alu(o, c);
	case C_JMP:
		return tr_jmp(o, c, i, n);
	default:
		return tr_other(o, c);
	}
}

/* A constant-offset load the window can hold: LD ABS, and LDX MSH (a byte). 0 when the instruction is neither. */
static int window_load_size(const struct cbpf_insn *c)
{
	int size = C_SIZE(c->code) == C_W ? 4 : C_SIZE(c->code) == C_H ? 2 : 1;
	bool abs = C_CLASS(c->code) == C_LD && C_MODE(c->code) == C_ABS;
	bool msh = C_CLASS(c->code) == C_LDX && C_MODE(c->code) == C_MSH;
	return (abs || msh) && c->k <= WIN - (uint32_t)size ? size : 0;
}

/* The window the program's loads need (o->need, o->shift), whether any load lies outside it, and the scratch
 * words it reads (the verifier rejects reads of uninitialised stack: only those are cleared). */
static void plan_window(struct out *o, const struct cbpf_insn *in, int n)
{
	int aligned[4] = { 0 };
	for (int i = 0; i < n; i++) {
		int size = window_load_size(&in[i]);
		bool ld = C_CLASS(in[i].code) == C_LD || C_CLASS(in[i].code) == C_LDX;
		uint8_t mode = C_MODE(in[i].code);
		if (ld && mode == C_MEM && in[i].k < 16)
			o->mem_read[in[i].k] = true;
		if (ld && !size && (mode == C_ABS || mode == C_IND || mode == C_MSH))
			o->helper_loads = true;
		if (!size)
			continue;
		if (in[i].k + (uint32_t)size > o->need)
			o->need = in[i].k + (uint32_t)size;
		for (int s = 0; s < 4; s++)
			aligned[s] += size > 1 && (s + in[i].k) % (uint32_t)size == 0;
	}
	for (int s = 1; s < 4; s++)
		if (aligned[s] > aligned[o->shift])
			o->shift = s;
}

/* Save the arguments, clear A, X and the scratch words read; copy the window. A copy that faults means the
 * packet's bytes are not readable (they are the skb's own buffer, followed by its shared info, whenever the skb
 * is one): no match. */
static void emit_prologue(struct out *o)
{
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_X, R_DATA, o->direct ? 4 : 1, 0, 0));
	if (o->direct && o->helper_loads)
		emit(o, INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, 1, OFF_WIN, 0));
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_X, R_LIN, 2, 0, 0));
	emit(o, INSN(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, 3, OFF_LEN, 0));
	emit(o, INSN(BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0));
	emit(o, INSN(BPF_ALU | BPF_MOV | BPF_K, R_X, 0, 0, 0));
	for (int m = 0; m < 16; m++)
		if (o->mem_read[m])
			emit(o, INSN(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, OFF_MEM(m), 0));
	if (!o->need || o->direct)
		return;
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, BPF_REG_10, 0, 0));
	emit(o, INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, OFF_WIN + o->shift));
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, (int32_t)o->need));
	emit(o, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, R_DATA, 0, 0));
	emit(o, INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_kernel));
	emit_jmp(o, INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0), RET0);
	o->uses_ret0 = true;
}

/* The shared "no match" exit (only when something jumps there: the verifier rejects unreachable instructions),
 * then every jump's offset. */
static int finish(struct out *o, const int *pos, char *err, size_t errlen)
{
	int ret0 = o->n;
	if (o->uses_ret0) {
		emit(o, INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0));
		emit(o, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	}
	if (o->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int f = 0; f < o->nfix; f++) {
		int target = o->fix[f].target == RET0 ? ret0 : pos[o->fix[f].target];
		int off = target - (o->fix[f].at + 1);
		if (off < INT16_MIN || off > INT16_MAX) {
			snprintf(err, errlen, "filter too large (jump offset %d)", off);
			return -1;
		}
		o->v[o->fix[f].at].off = off;
	}
	return 0;
}

int cbpf_to_ebpf(const struct cbpf_insn *in, int n, bool direct, struct bpf_insn **res, char *err, size_t errlen)
{
	struct out o = { .direct = direct };
	int *pos = n > 0 ? calloc((size_t)n + 1, sizeof(int)) : NULL, rc = -1;
	if (!pos || C_CLASS(in[n - 1].code) != C_RET) {
		snprintf(err, errlen, n > 0 && !pos ? "out of memory" : "cBPF program does not end with a return");
		goto out;
	}
	plan_window(&o, in, n);
	emit_prologue(&o);
	for (int i = 0; i < n; i++) {
		pos[i] = o.n;
		if (tr_insn(&o, in, i, n)) {
			snprintf(err, errlen, "unsupported cBPF instruction %d (code 0x%04x k %u)", i, in[i].code,
			         in[i].k);
			goto out;
		}
	}
	if (finish(&o, pos, err, errlen))
		goto out;
	*res = o.v;
	o.v = NULL;
	rc = o.n;
out:
	free(pos);
	free(o.fix);
	free(o.v);
	return rc;
}
