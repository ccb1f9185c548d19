# The bundled example pipelines, C and Python, and `make demo`, which
# profiles both and prints their profiles.

$(BUILD)/examples/pipeline: examples/pipeline.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -D_GNU_SOURCE -pthread -o $@ $<

DEMO_DB := $(BUILD)/demo.db
DEMO_TASKS := -t extract_records -t transform_records -t compress_block -t load_block \
	      -t publish_block

.PHONY: demo
demo:
	$(Q)./scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/examples/pipeline
	$(Q)rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(Q)mkdir -p $(BUILD)/demo-work
	$(Q)$(BUILD)/taskprof record --db $(DEMO_DB) --stage demo --env local --allocs \
		$(DEMO_TASKS) -- $(BUILD)/examples/pipeline $(BUILD)/demo-work 3
	$(Q)$(BUILD)/taskprof list --db $(DEMO_DB)
	@echo
	@echo "The Python pipeline (examples/reviews_pipeline.py), its @profiler tasks by marker:"
	$(Q)$(BUILD)/taskprof record --db $(DEMO_DB) -t 'marker:*' -- \
		env "PYTHONPATH=$(CURDIR)/python" \
		"TASKPROF_MARKER_LIB=$(CURDIR)/$(BUILD)/libtaskprof-marker.so" \
		/usr/bin/python3 examples/reviews_pipeline.py $(BUILD)/demo-work 3
	$(Q)PYTHONPATH="$(CURDIR)/python" TASKPROF_DB=$(DEMO_DB) /usr/bin/python3 -c \
		'from taskprof import ProfileRepo; import pandas as pd; \
		pd.set_option("display.width", 200); df = ProfileRepo().get_all(); \
		py = df[df.session_id == df.session_id.max()]; \
		print(py[["id", "process_name", "stage", "runtime_seconds", "cpu_user_seconds", \
		"memory_usage_peak_mb", "file_write_bytes", "exceptions_raised", "status"]] \
		.to_string(index=False))'
	@echo
	$(Q)$(BUILD)/taskprof stats --db $(DEMO_DB)
