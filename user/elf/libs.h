/* SPDX-License-Identifier: MIT */
/*
 * Which libraries a program loads, and finding one by name among them.
 */
#ifndef TP_ELF_LIBS_H
#define TP_ELF_LIBS_H

#include <stddef.h>
#include <sys/types.h>

/* Paths of the libraries a process has mapped, or that a new process from
 * exe would load (DT_NEEDED closure). Caller frees with tp_strv_free. */
int tp_libs_of_pid(pid_t pid, char ***out, size_t *n);
int tp_libs_of_exe(const char *exe, char ***out, size_t *n);
int tp_find_lib(const char *name, char *const *libs, size_t nlibs, char *out, size_t len);

#endif /* TP_ELF_LIBS_H */
