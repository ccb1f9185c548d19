# Tests: unit (cmocka, unprivileged) and integration (root, real BPF).

TBUILD := $(BUILD)/tests
TEST_CFLAGS := $(ALL_CFLAGS) -Wno-unused-function -Wno-format-truncation
CMOCKA := -lcmocka

UNIT_TESTS := test_repo test_repo_files test_spec test_symbols test_callsites test_agg test_stats \
	      test_copy_format
UNIT_BINS := $(UNIT_TESTS:%=$(TBUILD)/%)
INTEG_TESTS := test_metrics test_frames test_trees test_kill test_tracers test_cli test_collect \
	       test_fleet \
	       test_service test_systemd test_analyze test_markers test_returns
INTEG_BINS := $(INTEG_TESTS:%=$(TBUILD)/%)
FIXTURES := $(TBUILD)/fix_c_pie $(TBUILD)/fix_c_nopie $(TBUILD)/fix_cxx $(TBUILD)/libfix.so \
	    $(TBUILD)/fix_shapes $(TBUILD)/fix_stripped $(TBUILD)/fix_backtrace \
	    $(TBUILD)/fix_calls_gcc $(TBUILD)/fix_calls_clang $(TBUILD)/fix_calls_nopie \
	    $(TBUILD)/fix_calls_cxx $(TBUILD)/fix_clone $(TBUILD)/fix_clone_cxx \
	    $(TBUILD)/fix_dlopen $(TBUILD)/fix_signals
# rustup's, else Debian's (scripts/deps.sh installs it when there is neither)
RUSTC ?= $(shell command -v rustc 2>/dev/null || ls $$HOME/.cargo/bin/rustc 2>/dev/null)
RUST_TARGET := $(if $(RUSTC),$(TBUILD)/rust_target)
# returns_target as C and C++, by gcc and clang, at every usual -O
RETURNS_BUILDS := c_gcc_O0 c_gcc_O2 c_gcc_O3 c_clang_O2 cxx_gcc_O0 cxx_gcc_O2 cxx_gcc_O3 \
		  cxx_clang_O2 cxx_clang_O3
RETURNS_TARGETS := $(RETURNS_BUILDS:%=$(TBUILD)/returns_%)
TARGETS := $(TBUILD)/target $(TBUILD)/pipeline $(TBUILD)/marker_target $(TBUILD)/exc_target $(TBUILD)/tree_target $(TBUILD)/tree_child \
	   $(TBUILD)/asan_target $(RUST_TARGET) $(RETURNS_TARGETS) $(TBUILD)/stackwalk_target \
	   $(TBUILD)/plugin_host $(TBUILD)/libstackwalk_plugin.so


$(TBUILD):
	$(Q)mkdir -p $@

$(TBUILD)/test_repo $(TBUILD)/test_repo_files: $(TBUILD)/%: tests/unit/%.c $(BUILD)/libtaskprof.a \
		| $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libtaskprof.a -lsqlite3 -lpq $(CMOCKA)

# unit tests of the collector's modules link them from the core library
$(TBUILD)/test_spec $(TBUILD)/test_symbols $(TBUILD)/test_callsites $(TBUILD)/test_agg \
		$(TBUILD)/test_stats $(TBUILD)/test_copy_format: \
		$(TBUILD)/%: tests/unit/%.c \
		$(CORE_LIB) $(BUILD)/libtaskprof.a | $(TBUILD) $(FIXTURES)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(CORE_LIB) $(BUILD)/libtaskprof.a $(LIBS) $(CMOCKA)

$(TBUILD)/test_%: tests/integration/test_%.c tests/integration/harness.c \
		tests/integration/harness.h $(BUILD)/libtaskprof.a | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -Itests/integration -o $@ $< tests/integration/harness.c \
		$(BUILD)/libtaskprof.a -lsqlite3 -lpq $(CMOCKA)

# the analysis tests run checkers from the source tree
$(TBUILD)/test_analyze: tests/integration/test_analyze.c tests/integration/harness.c \
		tests/integration/harness.h $(BUILD)/libtaskprof.a | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -Itests/integration -DTP_SRCDIR='"$(CURDIR)"' -o $@ $< \
		tests/integration/harness.c $(BUILD)/libtaskprof.a -lsqlite3 -lpq $(CMOCKA)

# the collector's tests share a sandbox; test_systemd reads dist/ too
$(TBUILD)/test_collect $(TBUILD)/test_service $(TBUILD)/test_systemd $(TBUILD)/test_returns \
		$(TBUILD)/test_fleet: \
		$(TBUILD)/test_%: \
		tests/integration/test_%.c dist/taskprof.service \
		tests/integration/harness.c tests/integration/harness.h \
		tests/integration/sandbox.c tests/integration/sandbox.h \
		$(BUILD)/libtaskprof.a | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -Itests/integration -DTP_SRCDIR='"$(CURDIR)"' -o $@ $< \
		tests/integration/harness.c tests/integration/sandbox.c $(BUILD)/libtaskprof.a \
		-lsqlite3 -lpq $(CMOCKA)

$(TBUILD)/stackwalk_target: tests/integration/stackwalk_target.cc | $(TBUILD)
	$(call msg,CXX,$@)
	$(Q)g++ -O2 -g -fnon-call-exceptions -o $@ $<
$(TBUILD)/plugin_host: tests/integration/plugin_host.c | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)gcc -O2 -g -o $@ $< -ldl
$(TBUILD)/libstackwalk_plugin.so: tests/integration/stackwalk_plugin.cc | $(TBUILD)
	$(call msg,CXX,$@)
	$(Q)g++ -O2 -g -fPIC -shared -o $@ $<
$(TBUILD)/libreturns.so: tests/integration/libreturns.c | $(TBUILD)
	$(Q)gcc -O2 -g -fPIC -shared -o $@ $<
# returns_LANG_CC_OPT: the language, the compiler (gcc or clang), the -O level
returns_lang = $(word 2,$(subst _, ,$(notdir $(1))))
returns_cc = $(if $(filter cxx,$(call returns_lang,$(1))),$(if $(filter clang,$(word 3,$(subst _, ,$(notdir $(1))))),clang++,g++),$(word 3,$(subst _, ,$(notdir $(1)))))
returns_opt = -$(word 4,$(subst _, ,$(notdir $(1))))
$(RETURNS_TARGETS): tests/integration/returns_target.c $(TBUILD)/libreturns.so | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(call returns_cc,$@) $(call returns_opt,$@) -g $(if $(filter cxx,$(call returns_lang,$@)),-x c++) \
		-pthread -o $@ $< -x none -L$(TBUILD) -lreturns -Wl,-rpath,'$$ORIGIN'

# --- fixtures: symbol resolution on real binaries ----------------------------
$(TBUILD)/fix_c_pie: tests/fixtures/fix.c | $(TBUILD)
	$(Q)$(CC) -O2 -g -fPIE -pie -o $@ $<
$(TBUILD)/fix_c_nopie: tests/fixtures/fix.c | $(TBUILD)
	$(Q)$(CC) -O2 -g -fno-PIE -no-pie -o $@ $<
$(TBUILD)/fix_cxx: tests/fixtures/fix.cc | $(TBUILD)
	$(Q)$(CXX) -O2 -g -o $@ $<
$(TBUILD)/libfix.so: tests/fixtures/libfix.c | $(TBUILD)
	$(Q)$(CC) -O2 -g -fPIC -shared -o $@ $<
$(TBUILD)/fix_shapes: tests/fixtures/shapes.S tests/fixtures/shapes_main.c | $(TBUILD)
	$(Q)$(CC) -O2 -g -o $@ $^
$(TBUILD)/fix_backtrace: tests/fixtures/fix_backtrace.c | $(TBUILD)
	$(Q)$(CC) -O2 -g -o $@ $<
$(TBUILD)/fix_calls_gcc: tests/fixtures/fix_calls.c | $(TBUILD)
	$(Q)gcc -O2 -g -fPIE -pie -o $@ $<
$(TBUILD)/fix_calls_clang: tests/fixtures/fix_calls.c | $(TBUILD)
	$(Q)clang -O2 -g -fPIE -pie -o $@ $<
$(TBUILD)/fix_calls_nopie: tests/fixtures/fix_calls.c | $(TBUILD)
	$(Q)gcc -O2 -g -fno-PIE -no-pie -o $@ $<
$(TBUILD)/fix_calls_cxx: tests/fixtures/fix_calls_cxx.cc | $(TBUILD)
	$(Q)g++ -O3 -g -o $@ $<
$(TBUILD)/fix_dlopen: tests/fixtures/fix_image.c | $(TBUILD)
	$(Q)gcc -O2 -g -DFIX_DLOPEN -o $@ $< -ldl
$(TBUILD)/fix_signals: tests/fixtures/fix_image.c | $(TBUILD)
	$(Q)g++ -x c++ -O2 -g -DFIX_SIGNALS -o $@ $<
$(TBUILD)/fix_clone: tests/fixtures/fix_clone.c | $(TBUILD)
	$(Q)gcc -O3 -g -o $@ $<
$(TBUILD)/fix_clone_cxx: tests/fixtures/fix_clone.c | $(TBUILD)
	$(Q)g++ -x c++ -O3 -g -o $@ $<
$(TBUILD)/fix_stripped: $(TBUILD)/fix_c_pie
	$(Q)strip -s -o $@ $<

# --- integration targets ------------------------------------------------------
$(TBUILD)/target: tests/integration/target.c | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -D_GNU_SOURCE -pthread -o $@ $<
$(TBUILD)/exc_target: tests/integration/exc_target.cc | $(TBUILD)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -o $@ $<
$(TBUILD)/marker_target: tests/integration/marker_target.c $(BUILD)/libtaskprof-marker.so \
		| $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Imarker -o $@ $< -L$(BUILD) -ltaskprof-marker -lpthread \
		-Wl,-rpath,'$$ORIGIN/..'
$(TBUILD)/pipeline: tests/integration/pipeline.c | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $< -lpthread
$(TBUILD)/tree_target: tests/integration/tree_target.c | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $<
$(TBUILD)/tree_child: tests/integration/tree_child.c | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -o $@ $<
$(TBUILD)/asan_target: tests/integration/asan_target.c | $(TBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fsanitize=address -fno-omit-frame-pointer -o $@ $<
$(TBUILD)/rust_target: tests/integration/rust_target.rs | $(TBUILD)
	$(call msg,RUSTC,$@)
	$(Q)$(RUSTC) -O -g -o $@ $<


# The unprivileged tier again, built with AddressSanitizer, LeakSanitizer
# and UndefinedBehaviorSanitizer, in a build directory of its own.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: test-asan
test-asan:
	$(Q)./scripts/deps.sh
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(MAKE) --no-print-directory BUILD=$(BUILD)-asan CFLAGS="$(ASAN_FLAGS)" unit

.PHONY: test test-build unit integration
test-build: all $(UNIT_BINS) $(INTEG_BINS) $(FIXTURES) $(TARGETS)

test:
	$(Q)./scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)UNIT_TESTS="$(UNIT_TESTS)" INTEG_TESTS="$(INTEG_TESTS)" ./tests/run.sh $(BUILD)

unit: all $(UNIT_BINS) $(FIXTURES)
	$(Q)UNIT_TESTS="$(UNIT_TESTS)" INTEG_TESTS="$(INTEG_TESTS)" ./tests/run.sh $(BUILD) unit

integration: test-build
	$(Q)UNIT_TESTS="$(UNIT_TESTS)" INTEG_TESTS="$(INTEG_TESTS)" ./tests/run.sh $(BUILD) integration
