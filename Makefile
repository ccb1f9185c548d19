# taskprof: `make` builds build/taskprof, `make test` runs every test tier,
# `make demo` profiles the bundled example pipeline. V=1 shows commands.

.DELETE_ON_ERROR:
.SUFFIXES:

ARCH := $(shell uname -m)
ifeq ($(ARCH),x86_64)
BPF_ARCH := x86
else
$(error taskprof: unsupported architecture '$(ARCH)': only x86_64 is supported (uprobe placement decodes x86-64 code))
endif

PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/taskprof
# the system python3's site directory under PREFIX (Debian: python3.X/dist-packages)
PYDIR ?= $(PREFIX)/lib/$(shell /usr/bin/python3 -c 'import sys; \
	print("python%d.%d" % sys.version_info[:2])' 2>/dev/null || echo python3)/dist-packages
CONFDIR ?= /etc/taskprof
BUILD ?= build
OBJ := $(BUILD)/obj

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -I$(BUILD) -Ibpf -Irepo -Iuser
LIBS := -lbpf -lelf -lz -lsqlite3 -lcapstone -linih -lsystemd -lstdc++ -lpthread -lm

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

REPO_SRC := repo/columns.c repo/helpers.c repo/open.c repo/profiles.c repo/sessions.c repo/collector.c
USER_SRC := user/spec.c user/elfsym.c user/symmatch.c user/demangle.c user/libs.c user/x86insn.c user/ehframe.c user/codescan.c user/callsites.c user/dynsites.c user/imports.c user/resumes.c user/probeplan.c user/plan.c user/resolve.c user/hooks.c \
	    user/uprobe_multi.c user/attach.c user/ratelimit.c user/agg.c user/sink.c user/losses.c \
	    user/target.c user/launch.c user/guardian.c user/engine.c user/record.c user/util.c \
	    user/config.c user/collect_plan.c user/dbfile.c user/procscan.c \
	    user/collect.c user/collect_lock.c user/collect_reload.c user/collect_status.c \
	    user/statistics.c user/summary.c user/compare.c user/nesting.c user/json.c user/trace.c \
	    user/markers.c user/task_table.c
MAIN_SRC := user/main.c user/cli_record.c user/cli_query.c user/cli_collect.c user/format.c \
	    user/cli_analyze.c user/cli_report.c user/format_analysis.c user/format_diff.c \
	    user/report.c

REPO_OBJ := $(REPO_SRC:%.c=$(OBJ)/%.o)
USER_OBJ := $(USER_SRC:%.c=$(OBJ)/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(OBJ)/%.o) $(OBJ)/report_assets.o
# the report's page: report_*.js define, report.js runs them
REPORT_JS := $(sort $(wildcard user/report/report_*.js)) user/report/report.js
REPORT_ASSETS := user/report/report.html user/report/report.css $(REPORT_JS)

BPF_OBJ := $(OBJ)/taskprof.bpf.o
SKEL := $(BUILD)/taskprof.skel.h

.PHONY: all
all: $(BUILD)/taskprof $(BUILD)/libtaskprof.a $(BUILD)/libtaskprof-marker.so $(BUILD)/libtaskprof.so

$(BPF_OBJ): bpf/taskprof.bpf.c $(wildcard bpf/*.bpf.h) bpf/taskprof.h vmlinux/vmlinux.h | $(OBJ)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) \
		-Ivmlinux -Ibpf -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name taskprof_bpf > $@

$(OBJ)/%.o: %.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OBJ)/report_assets.c: $(REPORT_ASSETS) scripts/embed.sh | $(OBJ)
	$(call msg,GEN,$@)
	$(Q){ scripts/embed.sh report_html user/report/report.html && \
	     scripts/embed.sh report_css user/report/report.css && \
	     scripts/embed.sh report_js $(REPORT_JS); } > $@.tmp && mv $@.tmp $@

$(OBJ)/report_assets.o: $(OBJ)/report_assets.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# these include the generated skeleton
$(OBJ)/user/engine.o $(OBJ)/user/attach.o $(OBJ)/user/markers.o: $(SKEL)
$(OBJ)/user/markers.o: ALL_CFLAGS += -DTP_LIBDIR='"$(PREFIX)/lib"'

# the repository as a shared library, for the Python package to create
# databases with the one schema (python/taskprof/_native.py)
PIC_OBJ := $(REPO_SRC:%.c=$(OBJ)/pic/%.o)
$(OBJ)/pic/%.o: %.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(BUILD)/libtaskprof.so: $(PIC_OBJ)
	$(call msg,LIB,$@)
	$(Q)$(CC) -shared -Wl,-soname,libtaskprof.so -o $@ $^ -lsqlite3 -lm

# the marker library programs load to name their own tasks (marker/)
MARKER_LIB := $(BUILD)/libtaskprof-marker.so
$(MARKER_LIB): marker/marker.c marker/taskprof_marker.h | $(OBJ)
	$(call msg,LIB,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -Wall -Imarker -Wl,-soname,libtaskprof-marker.so -o $@ $<

$(BUILD)/libtaskprof.a: $(REPO_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# the collector's modules, for taskprof and for the tests and benches that
# drive one of them directly
CORE_LIB := $(BUILD)/libtpcore.a
$(CORE_LIB): $(USER_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/taskprof: $(MAIN_OBJ) $(CORE_LIB) $(BUILD)/libtaskprof.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $(MAIN_OBJ) $(CORE_LIB) $(BUILD)/libtaskprof.a $(LIBS)

$(OBJ):
	$(Q)mkdir -p $@

# --- install ---------------------------------------------------------------
.PHONY: install
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(BUILD)/taskprof $(DESTDIR)$(PREFIX)/bin/taskprof
	install -m 0644 $(BUILD)/libtaskprof.a $(DESTDIR)$(PREFIX)/lib/libtaskprof.a
	install -m 0644 repo/profile_repo.h repo/profile_columns.h marker/taskprof_marker.h \
		$(DESTDIR)$(PREFIX)/include/
	install -m 0755 $(BUILD)/libtaskprof-marker.so $(BUILD)/libtaskprof.so $(DESTDIR)$(PREFIX)/lib/
	install -d $(DESTDIR)$(PYDIR)/taskprof
	install -m 0644 python/taskprof/*.py $(DESTDIR)$(PYDIR)/taskprof/
	@# where the package finds the libraries it was installed with
	echo 'LIBDIR = "$(PREFIX)/lib"' > $(DESTDIR)$(PYDIR)/taskprof/_config.py
	@if [ -z "$(DESTDIR)" ]; then ldconfig; fi
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(CONFDIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|' dist/taskprof.service > $(BUILD)/taskprof.service
	install -m 0644 $(BUILD)/taskprof.service $(DESTDIR)$(UNITDIR)/taskprof.service
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@# an edited configuration is the operator's: never overwritten
	test -e $(DESTDIR)$(CONFDIR)/taskprof.conf || \
		install -m 0644 dist/taskprof.conf $(DESTDIR)$(CONFDIR)/taskprof.conf
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# --- dependencies ----------------------------------------------------------
.PHONY: deps
deps:
	$(Q)./scripts/deps.sh

# --- examples, tests ---------------------------------------------------------
include tests/tests.mk
include examples/examples.mk
include bench/bench.mk

.PHONY: clean
clean:
	rm -rf $(BUILD) taskprof.db taskprof.db-wal taskprof.db-shm

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
