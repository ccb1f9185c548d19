// SPDX-License-Identifier: MIT
/*
 * A function's calls to _Unwind_Resume (resumes.h): the function and its
 * .cold parts decoded, each call checked against where the file reaches
 * _Unwind_Resume (imports.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/resumes.h"

#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "elf/imports.h"

#define MAX_FUNC_BYTES (1 << 20)

static int push(uint64_t **v, size_t *n, uint64_t a)
{
	uint64_t *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = a;
	*v = nv;
	return 0;
}

/* The calls to the import in one piece of code. */
static int scan(const struct elf_file *ef, const struct elf_sym *s, const struct import *im,
		csh cs, uint64_t **out, size_t *n)
{
	uint8_t *code;
	cs_insn *insn = NULL;
	size_t count;
	int err = 0;

	if (!s->size || s->size > MAX_FUNC_BYTES || !(code = malloc(s->size)))
		return s->size > MAX_FUNC_BYTES || !s->size ? 0 : -ENOMEM;
	if (!elf_file__read(ef, s->addr, code, s->size)) {
		count = cs_disasm(cs, code, s->size, s->addr, 0, &insn);
		for (size_t i = 0; i < count && !err; i++)
			if (import__called_by(im, &insn[i]))
				err = push(out, n, insn[i].address);
		if (insn)
			cs_free(insn, count);
	}
	free(code);
	return err;
}

int resumes__find(const struct elf_file *ef, const struct elf_sym *fn, uint64_t **out, size_t *n)
{
	struct elf_sym **cold = NULL;
	struct import im;
	char name[1024];
	int err = 0, ncold;
	csh cs;

	*out = NULL;
	*n = 0;
	if (import__find(ef, "_Unwind_Resume", &im))
		return 0; /* it never resumes an unwind */
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -EINVAL;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	err = scan(ef, fn, &im, cs, out, n);
	snprintf(name, sizeof(name), "%s.cold", fn->name);
	ncold = elf_file__find(ef, name, &cold);
	for (int i = 0; i < ncold && !err; i++)
		err = scan(ef, cold[i], &im, cs, out, n);
	free(cold);
	cs_close(&cs);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}
