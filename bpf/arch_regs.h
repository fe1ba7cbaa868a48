/* SPDX-License-Identifier: MIT */
/* vmlinux.h comes from an x86-64 kernel; CO-RE adapts struct offsets to any kernel, but the register layout
 * that PT_REGS_PARMn reads for arm64 (its UAPI struct user_pt_regs) is not in it. */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H
#if defined(__TARGET_ARCH_arm64)
struct user_pt_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};
#endif
#endif
