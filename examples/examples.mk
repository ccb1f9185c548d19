# The bundled example pipeline, and `make demo`, which profiles it.

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
