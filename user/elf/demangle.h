/* SPDX-License-Identifier: MIT */
/*
 * C++ names as users write them: demangled, without parameters.
 */
#ifndef TP_ELF_DEMANGLE_H
#define TP_ELF_DEMANGLE_H

/* Strips parameters and qualifiers off a demangled name; caller frees. */
char *tp_strip_params(const char *demangled);
/* The plain name of a mangled C++ symbol, or NULL for a C name; caller frees. */
char *tp_demangle_plain(const char *name);

#endif /* TP_ELF_DEMANGLE_H */
