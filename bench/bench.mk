# `make bench`: overhead measured side by side, printed as a table.
# Nothing here is a test; `make test` never times anything.

BBUILD := $(BUILD)/bench

$(BBUILD):
	$(Q)mkdir -p $@

$(BBUILD)/cxx_shape.o: bench/cxx_shape.cc | $(BBUILD)
	$(call msg,CXX,$@)
	$(Q)$(CXX) -O2 -g -c $< -o $@

$(BBUILD)/bench_target: bench/target.c bench/shapes.S | $(BBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -pthread -o $@ $^

$(BBUILD)/bench_target_cxx: bench/target.c bench/shapes.S $(BBUILD)/cxx_shape.o | $(BBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -pthread -DBENCH_CXX -o $@ $^ -lstdc++

$(BBUILD)/floor.bpf.o: bench/floor.bpf.c vmlinux/vmlinux.h | $(BBUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Ivmlinux -c $< -o $@

$(BBUILD)/floor.skel.h: $(BBUILD)/floor.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(BBUILD)/bench_floor: bench/floor.c $(BBUILD)/floor.skel.h $(CORE_LIB) $(BUILD)/libtaskprof.a
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(BBUILD) -o $@ $< $(CORE_LIB) $(BUILD)/libtaskprof.a $(LIBS)

$(BBUILD)/agg_bench: bench/agg_bench.c $(CORE_LIB) $(BUILD)/libtaskprof.a | $(BBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(BUILD)/libtaskprof.a $(LIBS)

$(BBUILD)/metrics_bench: bench/metrics_bench.c $(CORE_LIB) $(BUILD)/libtaskprof.a | $(BBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(BUILD)/libtaskprof.a $(LIBS)

$(BBUILD)/ship_bench: bench/ship_bench.c $(CORE_LIB) $(BUILD)/libtaskprof.a | $(BBUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(BUILD)/libtaskprof.a $(LIBS)

.PHONY: bench bench-build
bench-build: all $(BBUILD)/bench_target $(BBUILD)/bench_target_cxx $(BBUILD)/bench_floor $(BBUILD)/agg_bench \
	     $(BBUILD)/ship_bench $(BBUILD)/metrics_bench \
	     $(BUILD)/examples/pipeline

bench:
	$(Q)./scripts/deps.sh bpftrace python3-psutil
	$(Q)$(MAKE) --no-print-directory bench-build
	$(Q)./bench/run.sh $(BUILD)
