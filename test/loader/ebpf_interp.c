// SPDX-License-Identifier: MIT
#include "ebpf_interp.h"
#include "cbpf_to_ebpf.h"
#include <string.h>

#define STACK     512
#define MAX_STEPS 1000000

struct vm {
	uint64_t r[11];
	bool win[11]; /* the register holds the window pointer (direct): loads through it are packet loads */
	_Alignas(8) uint8_t stack[STACK]; /* r10 is 8-aligned, as the kernel's frame pointer */
	uint8_t written[STACK];           /* the verifier refuses loads of stack bytes nothing wrote */
	const uint8_t *pkt;
	uint64_t pkt_len;
};

/* r10 is the frame pointer: the stack's top, as an address in the VM's own memory */
static uint8_t *stack_at(struct vm *m, uint64_t addr, int size)
{
	uint64_t top = (uint64_t)(uintptr_t)(m->stack + STACK);
	if (addr < top - STACK || addr + size > top)
		return NULL;
	return (uint8_t *)(uintptr_t)addr;
}

static uint64_t alu(uint8_t op, uint64_t a, uint64_t b, int *bad)
{
	switch (op) {
	case BPF_ADD:
		return a + b;
	case BPF_SUB:
		return a - b;
	case BPF_MUL:
		return a * b;
	case BPF_DIV:
		return b ? a / b : 0;
	case BPF_MOD:
		return b ? a % b : a;
	case BPF_OR:
		return a | b;
	case BPF_AND:
		return a & b;
	case BPF_XOR:
		return a ^ b;
	case BPF_LSH:
		return a << (b & 63);
	case BPF_RSH:
		return a >> (b & 63);
	case BPF_NEG:
		return -a;
	case BPF_MOV:
		return b;
	default:
		*bad = 1;
		return 0;
	}
}

static uint32_t alu32(uint8_t op, uint32_t a, uint32_t b, int *bad)
{
	if (op == BPF_LSH || op == BPF_RSH)
		b &= 31;
	return (uint32_t)alu(op, a, b, bad);
}

static int cond(uint8_t op, uint64_t a, uint64_t b, int *bad)
{
	switch (op) {
	case BPF_JEQ:
		return a == b;
	case BPF_JNE:
		return a != b;
	case BPF_JGT:
		return a > b;
	case BPF_JGE:
		return a >= b;
	case BPF_JLT:
		return a < b;
	case BPF_JSET:
		return (a & b) != 0;
	default:
		*bad = 1;
		return 0;
	}
}

static uint64_t swap_be(uint64_t v, int bits)
{
	if (bits == 16)
		return (uint16_t)((v & 0xff) << 8 | (v >> 8 & 0xff));
	if (bits == 32)
		return __builtin_bswap32((uint32_t)v);
	return __builtin_bswap64(v);
}

bool ebpf_interp_window_faults;
bool ebpf_interp_window_read;
int ebpf_interp_reads, ebpf_interp_steps;

static void mark_written(struct vm *m, const uint8_t *p, uint64_t size)
{
	memset(m->written + (p - m->stack), 1, size);
}

/* bpf_probe_read_kernel(r1 = dst, r2 = size, r3 = src) into the stack. A load's read must lie in the packet's
 * readable bytes: the translation checks that first. The window copy (into the stack from CBPF_OFF_WIN) may run
 * past them, as kernel memory past skb->tail is still mapped: those bytes read as garbage, which a correct
 * translation never uses; with ebpf_interp_window_faults it faults as an unmapped read does (r0 < 0, dst
 * zeroed). The verifier counts the whole destination as written either way. */
static int probe_read(struct vm *m)
{
	uint64_t size = m->r[2], src = m->r[3], base = (uint64_t)(uintptr_t)m->pkt;
	int64_t at = (int64_t)(m->r[1] - m->r[10]);
	bool window = at >= CBPF_OFF_WIN && at + (int64_t)size <= CBPF_OFF_WIN + CBPF_WIN + 8;
	ebpf_interp_reads++;
	uint8_t *dst = size <= STACK ? stack_at(m, m->r[1], (int)size) : NULL;
	if (!dst || src < base || src - base > m->pkt_len)
		return -1;
	uint64_t off = src - base, avail = m->pkt_len - off;
	mark_written(m, dst, size);
	ebpf_interp_window_read |= window;
	if (!window && size > avail)
		return -1;
	if (window && ebpf_interp_window_faults) {
		memset(dst, 0, size);
		m->r[0] = (uint64_t)-14; /* -EFAULT */
		return 0;
	}
	memset(dst, 0xa5, size);
	memcpy(dst, m->pkt + off, size < avail ? size : avail);
	m->r[0] = 0;
	return 0;
}

/* A load through the window pointer: the verifier takes constant offsets in new_utsname.sysname (bytes 0..64);
 * the translation checks them against the readable bytes before it loads. */
static int window_load(struct vm *m, const struct bpf_insn *i, int size)
{
	if (BPF_MODE(i->code) != BPF_MEM || size == 8 || i->off < 0 || i->off + size > CBPF_WIN + 1 ||
	    (uint64_t)i->off + (uint64_t)size > m->pkt_len)
		return -1;
	uint64_t x = 0;
	memcpy(&x, m->pkt + i->off, size); /* little-endian host, as the kernel's load */
	m->r[i->dst_reg] = x;
	m->win[i->dst_reg] = false;
	return 0;
}

static int mem_access(struct vm *m, const struct bpf_insn *i)
{
	static const int sizes[] = { 4, 2, 1, 8 }; /* BPF_W, BPF_H, BPF_B, BPF_DW >> 3 */
	int size = sizes[BPF_SIZE(i->code) >> 3];
	int ld = BPF_CLASS(i->code) == BPF_LDX;
	if (ld && m->win[i->src_reg])
		return window_load(m, i, size);
	if (BPF_CLASS(i->code) == BPF_STX && m->win[i->src_reg])
		return -1; /* the translation never spills the pointer */
	uint8_t *p = stack_at(m, m->r[ld ? i->src_reg : i->dst_reg] + i->off, size);
	uint64_t v = BPF_CLASS(i->code) == BPF_ST ? (uint64_t)(int64_t)i->imm : m->r[i->src_reg];
	/* the kernel's verifier refuses a misaligned stack access ("misaligned stack access") */
	if (!p || BPF_MODE(i->code) != BPF_MEM || (uintptr_t)p % (uintptr_t)size)
		return -1;
	if (ld) {
		if (memchr(m->written + (p - m->stack), 0, size))
			return -1;
		uint64_t x = 0;
		memcpy(&x, p, size); /* little-endian host */
		m->r[i->dst_reg] = x;
		m->win[i->dst_reg] = false;
	} else {
		memcpy(p, &v, size);
		mark_written(m, p, size);
	}
	return 0;
}

/* One jump-class instruction; *pc is advanced past it. Returns 1 on exit, 0 to go on, -1 on a bad one. */
static int jump(struct vm *m, const struct bpf_insn *i, int *pc)
{
	int bad = 0, is32 = BPF_CLASS(i->code) == BPF_JMP32;
	uint8_t op = BPF_OP(i->code);
	if (op == BPF_EXIT && !is32)
		return 1;
	if (op == BPF_CALL && !is32) {
		for (int r = 1; r <= 5; r++) /* the verifier: r1-r5 are clobbered by a call */
			m->win[r] = false;
		return i->imm == BPF_FUNC_probe_read_kernel ? probe_read(m) : -1;
	}
	if (op == BPF_JA && !is32) {
		*pc += i->off;
		return 0;
	}
	uint64_t a = m->r[i->dst_reg], b = BPF_SRC(i->code) == BPF_X ? m->r[i->src_reg] : (uint64_t)(int64_t)i->imm;
	if (is32) {
		a = (uint32_t)a;
		b = (uint32_t)b;
	}
	if (cond(op, a, b, &bad))
		*pc += i->off;
	return bad ? -1 : 0;
}

static int step(struct vm *m, const struct bpf_insn *i, int *pc)
{
	int bad = 0;
	uint8_t cls = BPF_CLASS(i->code), op = BPF_OP(i->code);
	if (i->dst_reg > 10 || i->src_reg > 10)
		return -1;
	uint64_t src = BPF_SRC(i->code) == BPF_X ? m->r[i->src_reg] : (uint64_t)(int64_t)i->imm;
	/* the window pointer may be moved and loaded through, nothing else (no arithmetic, no comparison) */
	bool alu_jmp = cls == BPF_ALU64 || cls == BPF_ALU || cls == BPF_JMP || cls == BPF_JMP32;
	bool plain_move = cls == BPF_ALU64 && op == BPF_MOV;
	if (alu_jmp && !plain_move && !(cls == BPF_JMP && (op == BPF_CALL || op == BPF_EXIT || op == BPF_JA)) &&
	    ((BPF_SRC(i->code) == BPF_X && m->win[i->src_reg]) || m->win[i->dst_reg]))
		return -1;
	switch (cls) {
	case BPF_ALU64:
		if (i->dst_reg == 10)
			return -1;
		m->r[i->dst_reg] = alu(op, m->r[i->dst_reg], src, &bad);
		/* a move keeps the pointer; arithmetic on it the translation never does */
		m->win[i->dst_reg] = op == BPF_MOV && BPF_SRC(i->code) == BPF_X && m->win[i->src_reg];
		return bad ? -1 : 0;
	case BPF_ALU:
		if (i->dst_reg == 10)
			return -1;
		m->win[i->dst_reg] = false;
		if (op == BPF_END)
			m->r[i->dst_reg] = swap_be(m->r[i->dst_reg], i->imm);
		else
			m->r[i->dst_reg] = alu32(op, (uint32_t)m->r[i->dst_reg], (uint32_t)src, &bad);
		return bad ? -1 : 0;
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		return mem_access(m, i);
	case BPF_JMP:
	case BPF_JMP32:
		return jump(m, i, pc);
	default:
		return -1;
	}
}

int ebpf_run(const struct bpf_insn *prog, int n, const uint8_t *pkt, uint64_t linear_len, uint64_t wire_len,
             bool direct, uint64_t *r0)
{
	static struct vm m; /* 512 bytes of stack: kept off the caller's */
	memset(&m, 0, sizeof(m));
	ebpf_interp_window_read = false;
	m.pkt = pkt;
	m.pkt_len = linear_len;
	m.r[1] = (uint64_t)(uintptr_t)pkt;
	m.r[2] = linear_len;
	m.r[3] = wire_len;
	m.r[4] = (uint64_t)(uintptr_t)pkt;
	m.win[4] = direct;
	m.r[10] = (uint64_t)(uintptr_t)(m.stack + STACK);
	for (int pc = 0, steps = 0; steps < MAX_STEPS; steps++) {
		if (pc < 0 || pc >= n)
			return -1;
		const struct bpf_insn *i = &prog[pc++];
		ebpf_interp_steps++;
		int r = step(&m, i, &pc);
		if (r < 0)
			return -1;
		if (r == 1) {
			*r0 = m.r[0];
			return 0;
		}
	}
	return -1;
}
