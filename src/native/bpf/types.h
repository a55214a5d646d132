/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-width types for the ABI headers (<name>.h) shared by BPF C and TypeScript.
 * In a BPF object vmlinux.h already defines __u8..__u64/__s32/__s64 (and guards itself
 * with __VMLINUX_H__); anywhere else (a host-side C check) take them from the UAPI
 * header, so every ABI header compiles in both worlds without redefinitions.
 */
#ifndef AUTOTRACER_TYPES_H
#define AUTOTRACER_TYPES_H
#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#define AT_TASK_COMM_LEN 16
#endif
