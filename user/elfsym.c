// SPDX-License-Identifier: MIT
/*
 * Symbols of ELF files (libelf), C++ demangling (the C++ ABI's own
 * __cxa_demangle), and which libraries a process loads.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tp.h"

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/*
 * Whether code looks at its own stack: unwinds it (C++ exceptions, Rust
 * panics, -fexceptions cleanups), walks it (backtrace, libunwind) or records
 * it (sanitizers). A hijacked return address would show there, so such
 * images get no uretprobes (user/plan.c). Importing one of these names is
 * using it; defining one of the second list is carrying the runtime itself
 * (static libstdc++, libgcc_eh, a sanitizer runtime).
 */
static const char *const stack_imports[] = {
	"__cxa_throw", "__cxa_begin_catch", "__cxa_rethrow", "__gxx_personality_v0",
	"__gcc_personality_v0", "rust_eh_personality", "_Unwind_Resume",
	"_Unwind_RaiseException", "_Unwind_ForcedUnwind", "_Unwind_Backtrace",
	"_Unwind_GetIP", "_Unwind_Find_FDE", "backtrace", "backtrace_symbols",
	"backtrace_symbols_fd", "unw_backtrace", "unw_init_local", "_ULx86_64_init_local",
	"__asan_", "__hwasan_", "__tsan_", "__msan_", "__lsan_", "__ubsan_", "__sanitizer_",
};
static const char *const stack_runtimes[] = {
	"__gxx_personality_v0", "__gcc_personality_v0", "rust_eh_personality",
	"_Unwind_RaiseException", "__asan_init", "__hwasan_init", "__tsan_init", "__msan_init",
	"__lsan_init", "__ubsan_handle_", "__sanitizer_",
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

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Drop "[abi:cxx11]" tags: users do not type them. */
static void strip_abi_tags(char *s)
{
	char *p;

	while ((p = strstr(s, "[abi:")) != NULL) {
		char *q = strchr(p, ']');

		if (!q)
			break;
		memmove(p, q + 1, strlen(q + 1) + 1);
	}
}

char *tp_strip_params(const char *demangled)
{
	static const char *const quals[] = { " const", " volatile", " &&", " &", " noexcept" };
	char *s = strdup(demangled), *start;
	size_t n;
	int depth = 0;
	bool again = true;

	if (!s)
		return NULL;
	strip_abi_tags(s);
	while (again) {
		again = false;
		for (size_t i = 0; i < sizeof(quals) / sizeof(quals[0]); i++) {
			if (ends_with(s, quals[i])) {
				s[strlen(s) - strlen(quals[i])] = 0;
				again = true;
			}
		}
	}
	n = strlen(s);
	if (n && s[n - 1] == ')') {
		for (ssize_t i = n - 1; i >= 0; i--) {
			if (s[i] == ')')
				depth++;
			else if (s[i] == '(' && --depth == 0) {
				s[i] = 0;
				break;
			}
		}
	}
	/* template functions carry their return type: "int foo<int>" */
	start = s;
	depth = 0;
	for (char *p = s; *p; p++) {
		if (*p == '<' || *p == '(')
			depth++;
		else if ((*p == '>' || *p == ')') && depth > 0)
			depth--;
		else if (*p == ' ' && depth == 0 && strncmp(p + 1, "const", 5))
			start = p + 1;
	}
	if (start != s)
		memmove(s, start, strlen(start) + 1);
	return s;
}

static int add_sym(struct elf_file *ef, size_t *cap, const char *name, GElf_Sym *sym)
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
	if (!strncmp(name, "_Z", 2)) {
		int status = 0;
		char *d = __cxa_demangle(name, NULL, NULL, &status);

		if (d && !status)
			s->plain = tp_strip_params(d);
		free(d);
	}
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
		if (sym.st_shndx == SHN_UNDEF) {
			if (sym_in(name, stack_imports, ARRAY_SIZE(stack_imports)))
				ef->walks_stack = true;
			continue;
		}
		if (sym_in(name, stack_runtimes, ARRAY_SIZE(stack_runtimes)))
			ef->walks_stack = true;
		if (!strcmp(name, "runtime.main") || !strcmp(name, "runtime.goexit"))
			ef->is_go = true;
		type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		if (!sym.st_value)
			continue;
		if (add_sym(ef, cap, name, &sym))
			return -ENOMEM;
	}
	return 0;
}

static char *dyn_str(Elf *elf, GElf_Shdr *sh, GElf_Dyn *dyn)
{
	const char *s = elf_strptr(elf, sh->sh_link, dyn->d_un.d_val);

	return s ? strdup(s) : NULL;
}

static int read_dynamic(struct elf_file *ef, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	char *rpath = NULL;

	if (!data)
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Dyn dyn;

		if (!gelf_getdyn(data, i, &dyn))
			continue;
		if (dyn.d_tag == DT_NEEDED) {
			char **nv = realloc(ef->needed, (ef->nneeded + 1) * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			ef->needed = nv;
			ef->needed[ef->nneeded] = dyn_str(elf, sh, &dyn);
			if (ef->needed[ef->nneeded])
				ef->nneeded++;
		} else if (dyn.d_tag == DT_RUNPATH) {
			free(ef->runpath);
			ef->runpath = dyn_str(elf, sh, &dyn);
		} else if (dyn.d_tag == DT_RPATH && !rpath) {
			rpath = dyn_str(elf, sh, &dyn);
		}
	}
	if (!ef->runpath)
		ef->runpath = rpath;
	else
		free(rpath);
	return 0;
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

struct elf_file *elf_file__open(const char *path)
{
	struct elf_file *ef;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t cap = 0, shstrndx;
	int err = EINVAL;
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
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		err = errno;
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
		if (sh.sh_type == SHT_SYMTAB) {
			ef->has_symtab = true;
			if (read_symbols(ef, elf, scn, &sh, &cap)) {
				err = ENOMEM;
				goto cleanup;
			}
		} else if (sh.sh_type == SHT_DYNSYM) {
			if (read_symbols(ef, elf, scn, &sh, &cap)) {
				err = ENOMEM;
				goto cleanup;
			}
		} else if (sh.sh_type == SHT_DYNAMIC) {
			if (read_dynamic(ef, elf, scn, &sh)) {
				err = ENOMEM;
				goto cleanup;
			}
		}
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

/* GCC clones keep the source name before the first dot. */
static bool clone_of(const char *name, const char *query)
{
	size_t n = strlen(query);

	if (strncmp(name, query, n) || name[n] != '.')
		return false;
	return !strncmp(name + n, ".constprop.", 11) || !strncmp(name + n, ".isra.", 6);
}

static int collect(const struct elf_file *ef, const char *query, bool clones, struct elf_sym ***out)
{
	struct elf_sym **v = NULL;
	int n = 0;

	for (size_t i = 0; i < ef->nsyms; i++) {
		const struct elf_sym *s = &ef->syms[i];
		bool hit;
		int k;

		if (clones)
			hit = clone_of(s->name, query) || (s->plain && clone_of(s->plain, query));
		else
			hit = !strcmp(s->name, query) || (s->plain && !strcmp(s->plain, query));
		if (!hit)
			continue;
		for (k = 0; k < n; k++)
			if (v[k]->addr == s->addr)
				break;
		if (k < n)
			continue; /* an alias of one we have */
		struct elf_sym **nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = (struct elf_sym *)s;
	}
	*out = v;
	return n;
}

int elf_file__find(const struct elf_file *ef, const char *query, struct elf_sym ***out)
{
	int n = collect(ef, query, false, out);

	if (n == 0) {
		free(*out);
		n = collect(ef, query, true, out);
	}
	return n;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

void elf_file__suggest(const struct elf_file *ef, const char *query, char *buf, size_t len)
{
	size_t used = 0, count = 0, qlen = strlen(query);
	size_t limit = qlen / 3 + 1;

	buf[0] = 0;
	for (size_t pass = 0; pass < 2 && count < 5; pass++) {
		for (size_t i = 0; i < ef->nsyms && count < 5; i++) {
			const char *name = ef->syms[i].plain ? ef->syms[i].plain : ef->syms[i].name;
			bool near;

			if (pass == 0)
				near = edit_distance(name, query) <= limit;
			else
				near = qlen >= 3 && strstr(name, query) && edit_distance(name, query) > limit;
			if (!near || strstr(buf, name))
				continue;
			used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 count ? ", " : "", name);
			count++;
		}
	}
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

/* --- libraries ------------------------------------------------------------- */

void tp_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int tp_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int tp_libs_of_pid(pid_t pid, char ***out, size_t *n)
{
	char path[64], line[PATH_MAX + 256];
	FILE *f;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p || !strstr(line, " r-xp ") || !strstr(p, ".so"))
			continue;
		p[strcspn(p, "\n")] = 0;
		if (ends_with(p, " (deleted)"))
			continue;
		if (tp_strv_add(out, n, p)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

static bool file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

static bool search_dirs(const char *dirs, const char *origin, const char *name, char *out, size_t len)
{
	char *copy, *save = NULL, *dir;
	bool found = false;

	if (!dirs)
		return false;
	copy = strdup(dirs);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char buf[PATH_MAX];

		if (!strncmp(dir, "$ORIGIN", 7))
			snprintf(buf, sizeof(buf), "%s%s/%s", origin, dir + 7, name);
		else
			snprintf(buf, sizeof(buf), "%s/%s", dir, name);
		if (file_exists(buf)) {
			snprintf(out, len, "%s", buf);
			found = true;
		}
	}
	free(copy);
	return found;
}

/* The dynamic linker's search, minus hardware capability subdirectories. */
static bool resolve_needed(const char *name, const struct elf_file *from, char *out, size_t len)
{
	static const char *const std_dirs =
		"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:/lib:/usr/lib:"
		"/usr/local/lib";
	char origin[PATH_MAX], *slash;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return file_exists(out);
	}
	snprintf(origin, sizeof(origin), "%s", from->path);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(origin, sizeof(origin), ".");
	return search_dirs(getenv("LD_LIBRARY_PATH"), origin, name, out, len) ||
	       search_dirs(from->runpath, origin, name, out, len) ||
	       search_dirs(std_dirs, origin, name, out, len);
}

int tp_libs_of_exe(const char *exe, char ***out, size_t *n)
{
	char **queue = NULL;
	size_t nq = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = tp_strv_add(&queue, &nq, exe);
	for (size_t i = 0; !err && i < nq && i < 256; i++) {
		struct elf_file *ef = elf_file__open(queue[i]);

		if (!ef)
			continue;
		for (size_t k = 0; k < ef->nneeded && !err; k++) {
			char path[PATH_MAX];

			if (resolve_needed(ef->needed[k], ef, path, sizeof(path)))
				err = tp_strv_add(&queue, &nq, path);
		}
		elf_file__close(ef);
	}
	if (err) {
		tp_strv_free(queue, nq);
		return err;
	}
	/* the first entry is the executable itself */
	free(queue[0]);
	memmove(queue, queue + 1, (nq - 1) * sizeof(*queue));
	*out = queue;
	*n = nq - 1;
	return 0;
}

int tp_find_lib(const char *name, char *const *libs, size_t nlibs, char *out, size_t len)
{
	size_t nlen = strlen(name);

	if (strchr(name, '/')) {
		if (!file_exists(name))
			return -ENOENT;
		snprintf(out, len, "%s", name);
		return 0;
	}
	for (size_t i = 0; i < nlibs; i++) {
		const char *base = strrchr(libs[i], '/');

		base = base ? base + 1 : libs[i];
		if (!strncmp(base, name, nlen) && (base[nlen] == 0 || base[nlen] == '.' ||
						   base[nlen] == '-')) {
			snprintf(out, len, "%s", libs[i]);
			return 0;
		}
	}
	{
		struct elf_file dummy = { .path = "." };

		if (resolve_needed(name, &dummy, out, len))
			return 0;
	}
	return -ENOENT;
}
