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
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -I$(BUILD) -Ibpf -Irepo -Iuser \
	      $(shell pkg-config --cflags libpq 2>/dev/null)
LIBS := -lbpf -lelf -lz -lsqlite3 -lcapstone -linih -lsystemd -lpq -lmicrohttpd -lstdc++ -lpthread -lm

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)';
endif

REPO_SRC := repo/stmt.c repo/status_names.c repo/columns.c repo/records.c repo/profiles.c repo/rollups.c repo/sessions.c repo/retention.c repo/spool.c repo/collector_status.c repo/schema.c repo/statements.c repo/open.c repo/central_schema.c repo/central.c
# the collector's modules, by folder (each folder's README says what it owns
# and what it may call): cli -> service, record, analysis -> session ->
# engine -> sink, plan -> elf -> base; repo/ below the sinks
BASE_SRC := $(wildcard user/base/*.c)
ELF_SRC := $(wildcard user/elf/*.c)
PLAN_SRC := $(wildcard user/plan/*.c)
ENGINE_SRC := $(wildcard user/engine/*.c)
SINK_SRC := $(wildcard user/sink/*.c)
SESSION_SRC := $(wildcard user/session/*.c)
RECORD_SRC := $(wildcard user/record/*.c)
SERVICE_SRC := $(wildcard user/service/*.c)
ANALYSIS_SRC := $(wildcard user/analysis/*.c)
USER_SRC := $(BASE_SRC) $(ELF_SRC) $(PLAN_SRC) $(SINK_SRC) $(ENGINE_SRC) $(SESSION_SRC) \
	    $(RECORD_SRC) $(SERVICE_SRC) $(ANALYSIS_SRC)
MAIN_SRC := $(wildcard user/cli/*.c)

REPO_OBJ := $(REPO_SRC:%.c=$(OBJ)/%.o)
USER_OBJ := $(USER_SRC:%.c=$(OBJ)/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(OBJ)/%.o) $(OBJ)/report_assets.o
# the report's page: report_*.js define, report.js runs them
REPORT_JS := $(sort $(wildcard user/analysis/report/report_*.js)) user/analysis/report/report.js
REPORT_ASSETS := user/analysis/report/report.html user/analysis/report/report.css $(REPORT_JS)

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
	$(Q){ scripts/embed.sh report_html user/analysis/report/report.html && \
	     scripts/embed.sh report_css user/analysis/report/report.css && \
	     scripts/embed.sh report_js $(REPORT_JS); } > $@.tmp && mv $@.tmp $@

$(OBJ)/report_assets.o: $(OBJ)/report_assets.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# these include the generated skeleton
$(OBJ)/user/engine/engine.o $(OBJ)/user/engine/tracepoints.o $(OBJ)/user/engine/attach.o \
	$(OBJ)/user/engine/marker_names.o: $(SKEL)
$(OBJ)/user/service/collect_metrics.o: ALL_CFLAGS += \
	-DTP_VERSION='"$(shell git describe --always --dirty 2>/dev/null || echo unknown)"'
$(OBJ)/user/plan/markers.o: ALL_CFLAGS += -DTP_LIBDIR='"$(PREFIX)/lib"'

# the repository as a shared library, for the Python package to create
# databases with the one schema (python/taskprof/_native.py)
PIC_OBJ := $(REPO_SRC:%.c=$(OBJ)/pic/%.o)
$(OBJ)/pic/%.o: %.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@
$(BUILD)/libtaskprof.so: $(PIC_OBJ)
	$(call msg,LIB,$@)
	$(Q)$(CC) -shared -Wl,-soname,libtaskprof.so -o $@ $^ -lsqlite3 -lpq -lm

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
