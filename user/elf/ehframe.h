/* SPDX-License-Identifier: MIT */
/*
 * Where exceptions land in a function: its landing pads, read from the
 * file's unwind tables (.eh_frame_hdr, .eh_frame, and the language data,
 * .gcc_except_table, that each function's FDE points to). The C++ and
 * Rust unwinders run a landing pad in the frame of the function that
 * holds it, with the stack pointer that frame had at the call that threw:
 * everything deeper is gone by then.
 */
#ifndef TP_EHFRAME_H
#define TP_EHFRAME_H

#include <stddef.h>
#include <stdint.h>

struct elf_file;

/* The landing pads of the function starting at fn, sorted, without
 * repeats; 0 (none is not an error: *n is 0) or a negative errno. */
int eh__landing_pads(const struct elf_file *ef, uint64_t fn, uint64_t **out, size_t *n);

#endif /* TP_EHFRAME_H */
