// SPDX-License-Identifier: MIT
/*
 * ELF files (libelf): symbols, executable or not, whether the code looks at
 * its own stack, address to file offset and bytes. Queries: elf_find.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf/elf_file.h"

#include "base/util.h"
#include "elf/demangle.h"

/*
 * Whether code looks at its own stack: unwinds it (C++ exceptions, Rust
 * panics, -fexceptions cleanups), walks it (backtrace, libunwind) or records
 * it (sanitizers). A hijacked return address would show there, so such
 * images get no uretprobes (plan/image.c), but on leaves, which nothing
 * they run can walk past: unless the image walks stacks (a signal handler
 * may call backtrace() during a leaf), handles signals and unwinds (a
 * handler may throw, with -fnon-call-exceptions), or loads code the
 * analysis cannot see (dlopen). Importing one of these names is using it;
 * defining one of the runtime lists is carrying the runtime itself (static
 * libstdc++, libgcc_eh, a sanitizer runtime).
 */
static const char *const unwind_imports[] = {
	"__cxa_throw", "__cxa_begin_catch", "__cxa_rethrow", "__gxx_personality_v0",
	"__gcc_personality_v0", "rust_eh_personality", "_Unwind_Resume",
	"_Unwind_RaiseException", "_Unwind_ForcedUnwind",
};
static const char *const walk_imports[] = {
	"_Unwind_Backtrace", "_Unwind_GetIP", "_Unwind_Find_FDE", "backtrace",
	"backtrace_symbols", "backtrace_symbols_fd", "unw_backtrace", "unw_init_local",
	"_ULx86_64_init_local", "__asan_", "__hwasan_", "__tsan_", "__msan_", "__lsan_",
	"__ubsan_", "__sanitizer_",
};
static const char *const unwind_runtimes[] = {
	"__gxx_personality_v0", "__gcc_personality_v0", "rust_eh_personality",
	"_Unwind_RaiseException",
};
static const char *const walk_runtimes[] = {
	"__asan_init", "__hwasan_init", "__tsan_init", "__msan_init", "__lsan_init",
	"__ubsan_handle_", "__sanitizer_",
};
static const char *const signal_imports[] = {
	"sigaction", "signal", "sigset", "bsd_signal", "sysv_signal", "__sysv_signal",
};
static const char *const load_imports[] = { "dlopen", "dlmopen" };

/*
 * What can leave a frame without its return (a cut, bpf/cuts.bpf.h), by
 * what a file imports, or for exceptions also carries: the runtime hooks a
 * process needs are those its image can use, and no process pays for a
 * hook it cannot reach. libc defines longjmp and pthread_exit; importing
 * them is what counts.
 */
static const char *const throw_names[] = {
	"__cxa_throw", "__cxa_rethrow", "_Unwind_RaiseException", "_Unwind_Resume",
	"rust_eh_personality", "__gxx_personality_v0",
};
static const char *const forced_imports[] = {
	"pthread_exit", "pthread_cancel", "_Unwind_ForcedUnwind",
};
static const char *const jump_imports[] = {
	"longjmp", "_longjmp", "siglongjmp", "__longjmp_chk",
};

/* name, or name@version, is word; a word ending in '_' is a prefix */
static bool sym_is(const char *name, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(name, word, n))
		return false;
	return word[n - 1] == '_' || name[n] == 0 || name[n] == '@';
}

static bool sym_in(const char *name, const char *const *words, size_t nwords)
{
	for (size_t k = 0; k < nwords; k++)
		if (sym_is(name, words[k]))
			return true;
	return false;
}

static int add_sym(struct elf_file *ef, size_t *cap, const char *name, GElf_Sym *sym,
		   bool exported)
{
	struct elf_sym *s;

	if (ef->nsyms == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		struct elf_sym *n = realloc(ef->syms, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ef->syms = n;
		*cap = ncap;
	}
	s = &ef->syms[ef->nsyms];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return -ENOMEM;
	s->addr = sym->st_value;
	s->size = sym->st_size;
	s->exported = exported;
	s->plain = tp_demangle_plain(name);
	ef->nsyms++;
	return 0;
}

static int read_symbols(struct elf_file *ef, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, size_t *cap)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	if (!data)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(data, i, &sym))
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (sym_in(name, throw_names, ARRAY_SIZE(throw_names)))
			ef->cuts |= ELF_CUT_THROW;
		if (sym.st_shndx == SHN_UNDEF) {
			if (sym_in(name, unwind_imports, ARRAY_SIZE(unwind_imports)))
				ef->walks_stack = true;
			if (sym_in(name, walk_imports, ARRAY_SIZE(walk_imports)))
				ef->walks_stack = ef->walker = true;
			if (sym_in(name, signal_imports, ARRAY_SIZE(signal_imports)))
				ef->handles_signals = true;
			if (sym_in(name, load_imports, ARRAY_SIZE(load_imports)))
				ef->loads_code = true;
			if (sym_in(name, forced_imports, ARRAY_SIZE(forced_imports)))
				ef->cuts |= ELF_CUT_FORCED;
			if (sym_in(name, jump_imports, ARRAY_SIZE(jump_imports)))
				ef->cuts |= ELF_CUT_JUMP;
			continue;
		}
		if (sym_in(name, unwind_runtimes, ARRAY_SIZE(unwind_runtimes)))
			ef->walks_stack = true;
		if (sym_in(name, walk_runtimes, ARRAY_SIZE(walk_runtimes)))
			ef->walks_stack = ef->walker = true;
		if (!strcmp(name, "runtime.main") || !strcmp(name, "runtime.goexit"))
			ef->is_go = true;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (!sym.st_value)
			continue;
		if (add_sym(ef, cap, name, &sym, sh->sh_type == SHT_DYNSYM))
			return -ENOMEM;
	}
	return 0;
}

/* A copy of a dynamic entry's string in *out (NULL if the file has none);
 * -ENOMEM only when the copy fails. */
static int dyn_str(Elf *elf, GElf_Shdr *sh, GElf_Dyn *dyn, char **out)
{
	const char *s = elf_strptr(elf, sh->sh_link, dyn->d_un.d_val);

	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

static int read_dynamic(struct elf_file *ef, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	char *rpath = NULL;
	int err = 0;

	if (!data)
		return 0;
	for (size_t i = 0; i < n && !err; i++) {
		GElf_Dyn dyn;

		if (!gelf_getdyn(data, i, &dyn))
			continue;
		if (dyn.d_tag == DT_NEEDED) {
			char **nv = realloc(ef->needed, (ef->nneeded + 1) * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			ef->needed = nv;
			err = dyn_str(elf, sh, &dyn, &ef->needed[ef->nneeded]);
			if (!err && ef->needed[ef->nneeded])
				ef->nneeded++;
		} else if (dyn.d_tag == DT_RUNPATH) {
			free(ef->runpath);
			err = dyn_str(elf, sh, &dyn, &ef->runpath);
		} else if (dyn.d_tag == DT_RPATH && !rpath) {
			err = dyn_str(elf, sh, &dyn, &rpath);
		}
	}
	if (!ef->runpath)
		ef->runpath = rpath;
	else
		free(rpath);
	return err;
}

/* A PIE executable is ET_DYN like a library; it names its interpreter. */
static bool has_interp(Elf *elf)
{
	size_t n = 0;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

/* Symbols (symtab and dynsym), the dynamic section and Go's marks. */
static int read_sections(struct elf_file *ef, Elf *elf)
{
	size_t cap = 0, shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		shstrndx = 0;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = shstrndx ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (sname && (!strcmp(sname, ".go.buildinfo") || !strcmp(sname, ".gopclntab")))
			ef->is_go = true;
		if (sh.sh_type == SHT_SYMTAB)
			ef->has_symtab = true;
		if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) &&
		    read_symbols(ef, elf, scn, &sh, &cap))
			return -ENOMEM;
		if (sh.sh_type == SHT_DYNAMIC && read_dynamic(ef, elf, scn, &sh))
			return -ENOMEM;
	}
	return 0;
}

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *ef;
	GElf_Ehdr eh;
	int err = EINVAL;
	struct stat st;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = EINVAL;
		return NULL;
	}
	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		errno = ENOMEM;
		return NULL;
	}
	ef->fd = -1;
	ef->path = strdup(path);
	if (!ef->path) {
		err = ENOMEM;
		goto cleanup;
	}
	/* O_NONBLOCK: a FIFO where a binary was expected (a glob matches
	 * anything a user drops in a directory) must not hang the caller */
	ef->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ef->fd < 0) {
		err = errno;
		goto cleanup;
	}
	if (fstat(ef->fd, &st)) {
		err = errno;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : ENOEXEC;
		goto cleanup;
	}
	elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	ef->elf = elf;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		err = ENOEXEC;
		goto cleanup;
	}
	if (eh.e_machine != EM_X86_64) {
		err = ENOEXEC;
		goto cleanup;
	}
	ef->is_dyn = eh.e_type == ET_DYN;
	ef->is_exec = eh.e_type == ET_EXEC || has_interp(elf);
	if (read_sections(ef, elf)) {
		err = ENOMEM;
		goto cleanup;
	}
	return ef;

cleanup:
	elf_file__close(ef);
	errno = err;
	return NULL;
}

void elf_file__close(struct elf_file *ef)
{
	if (!ef)
		return;
	for (size_t i = 0; i < ef->nsyms; i++) {
		free(ef->syms[i].name);
		free(ef->syms[i].plain);
	}
	free(ef->syms);
	tp_strv_free(ef->needed, ef->nneeded);
	free(ef->runpath);
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->path);
	free(ef);
}

const struct elf_sym *elf_file__sym_at(const struct elf_file *ef, uint64_t addr)
{
	for (size_t i = 0; i < ef->nsyms; i++)
		if (ef->syms[i].addr == addr && ef->syms[i].size)
			return &ef->syms[i];
	return NULL;
}

int elf_file__offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__vaddr(const struct elf_file *ef, uint64_t off, uint64_t *vaddr)
{
	size_t n;

	if (elf_getphdrnum(ef->elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(ef->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
			*vaddr = off - ph.p_offset + ph.p_vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off;
	int err = elf_file__offset(ef, vaddr, &off);

	if (err)
		return err;
	if (pread(ef->fd, buf, len, off) != (ssize_t)len)
		return -EIO;
	return 0;
}
