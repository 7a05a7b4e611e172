# Unit tests: cmocka, built with ASan and UBSan; fuzz targets: libFuzzer (clang).
UNIT := $(BUILD)/unit
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS := -std=gnu17 -D_GNU_SOURCE -O1 -g $(WARN) $(SAN)
FUZZ_CFLAGS := -std=gnu17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined

# The Makefile's folders again, as static archives built with sanitizers: $(UNIT)/a/NAME.a for
# clang's fuzzers in $(UNIT)/fa/. A test names the folders it uses (TEST_USES, in link order: a
# program before the libraries); the linker takes only the objects it needs, and a test's own fakes
# (fake-svc.c, stub-bpf-lsm.c) come first, so they replace the real objects they define.
UNIT_AREAS := kcc-init kcc-kubelet kcc-pcr kcc-update $(addprefix lib-,$(LIBS))
UNIT_INC := $(foreach a,kcc-init kcc-kubelet kcc-pcr kcc-update,$($(a)_INC)) $(lib-config_INC) \
	$(lib-events_INC) $(lib-attest_INC)
uobjs = $(patsubst %.c,$(UNIT)/$(2)/%.o,$(1))
define unit_area
$(UNIT)/a/$(1).a: $(call uobjs,$($(1)_SRC),o)
	@mkdir -p $$(@D); rm -f $$@; $(AR) rcs $$@ $$^
$(UNIT)/fa/$(1).a: $(call uobjs,$($(1)_SRC),fo)
	@mkdir -p $$(@D); rm -f $$@; $(AR) rcs $$@ $$^
endef
$(foreach a,$(UNIT_AREAS),$(eval $(call unit_area,$(a))))
$(UNIT)/o/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -MMD -MP $(UNIT_INC) -c $< -o $@
$(UNIT)/fo/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -MMD -MP $(UNIT_INC) -c $< -o $@
$(UNIT)/o/init/bpf-lsm.o $(UNIT)/fo/init/bpf-lsm.o: $(BPF)/kcc-lsm.skel.h
-include $(shell find $(UNIT)/o $(UNIT)/fo -name '*.d' 2>/dev/null)

UNIT_LDLIBS := -lcmocka $(kcc-init_LDLIBS) -lfdisk -lblkid -larchive $(shell pkg-config --libs yaml-0.1 json-c libssl libcrypto libcap libseccomp) -lz -lpthread
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test-*.c))
FUZZ_TARGETS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/fuzz-*.c))
INIT := kcc-init lib-policy lib-config lib-events lib-basic
KUBELET_AREA := kcc-kubelet lib-policy lib-events lib-basic
TPM := lib-tpm lib-basic
test-basic_USES := lib-basic
test-caps_USES := lib-policy lib-basic
test-node-config_USES := lib-config lib-basic
test-daemon-conf_USES := lib-config lib-basic
test-resolv-conf_USES := lib-config lib-basic
fuzz-resolv-conf_USES := lib-config lib-basic
test-events_USES := lib-events lib-basic
test-spool_USES := lib-events lib-basic
fuzz-events_USES := lib-events lib-basic
test-events-audit_USES := lib-events lib-basic
fuzz-audit_USES := lib-events lib-basic
test-events-dgram_USES := lib-events lib-basic
fuzz-events-dgram_USES := lib-events lib-basic
# the failed boot's record (lib/events) and init/sys/efivar.c on a plain file
test-failed-boot_USES := lib-events lib-basic
test-failed-boot_EXTRA := init/sys/efivar.c
fuzz-failed-boot_USES := lib-events lib-basic
fuzz-node-config_USES := lib-config lib-basic
test-cmdline_USES := $(INIT)
test-service_USES := $(INIT)
test-supervise-fsm_USES := $(INIT)
# supervise.c itself, with fakes of the loop, the clock and service-proc.c (fake-svc.c)
test-supervise_USES := $(INIT)
test-supervise_EXTRA := tests/unit/fake-svc.c
test-supervise_LDLIBS := -Wl,--wrap=now_ms
test-service-proc_USES := $(INIT)
test-exitrd-handoff_USES := $(INIT)
test-peer_USES := $(INIT)
test-ringbuf_USES := $(INIT)
test-dps_USES := $(INIT)
test-luks-rotate_USES := $(INIT) $(TPM)
test-state-rollover_USES := kcc-init lib-update lib-policy lib-config lib-events lib-tpm lib-basic
test-luks-reencrypt_USES := $(INIT) $(TPM)
test-recovery_USES := $(INIT) $(TPM)
test-harden_USES := $(INIT)
test-harden_EXTRA := tests/unit/stub-bpf-lsm.c
test-network_USES := $(INIT)
test-manifest_USES := $(KUBELET_AREA)
test-kubelet_USES := $(KUBELET_AREA)
test-seccomp-policy_USES := $(INIT)
test-oci-image_USES := $(KUBELET_AREA)
test-kubelet-io_USES := $(KUBELET_AREA)
test-kubelet-unpack_USES := $(KUBELET_AREA)
# kubelet/main.c's configuration and pipe watches (stub-kubelet-main.c) instead of main.c
test-kubelet-unpack_EXTRA := tests/unit/stub-kubelet-main.c
test-confine_USES := $(KUBELET_AREA)
test-kubelet-secret_USES := $(KUBELET_AREA)
test-kubelet-ready_USES := $(KUBELET_AREA)
test-kubelet-ready_EXTRA := tests/unit/stub-kubelet-main.c
test-policy_USES := $(KUBELET_AREA)
test-basic-loop_USES := lib-basic
test-basic-log_USES := lib-basic
test-basic-http-client_USES := lib-basic
test-basic-http-request_USES := lib-basic
fuzz-http-status_USES := lib-basic
test-tpm_USES := $(TPM)
test-pcr_USES := $(TPM)
test-attest-tpm_USES := lib-attest $(TPM)
test-attest-tpm_EXTRA := tests/unit/swtpm-fixture.c
test-tpm_EXTRA := tests/unit/swtpm-fixture.c
test-tpm-rollover_USES := $(TPM)
test-tpm-rollover_EXTRA := tests/unit/swtpm-fixture.c
test-attest-parsers_USES := lib-attest $(TPM)
test-attest-kubelet_USES := lib-attest $(TPM)
fuzz-attest-public_USES := lib-attest $(TPM)
fuzz-attest-logs_USES := lib-attest $(TPM)
fuzz-attest-requests_USES := lib-attest $(TPM)
fuzz-attest-secrets_USES := lib-attest $(TPM)
test-snp-report_USES := lib-attest $(TPM)
fuzz-snp-report_USES := lib-attest $(TPM)
test-bundle_USES := lib-update lib-basic
fuzz-bundle_USES := lib-update lib-basic
test-esp_USES := lib-update lib-basic
fuzz-esp_USES := lib-update lib-basic
test-slot_USES := lib-update lib-basic
test-update-cmd_USES := kcc-update lib-update lib-config lib-events lib-basic
fuzz-update-request_USES := kcc-update lib-update lib-config lib-events lib-basic
$(foreach t,$(UNIT_TESTS),$(if $($(t)_USES),,$(error tests/unit/$(t).c: set $(t)_USES in unit.mk)))
$(foreach t,$(FUZZ_TARGETS),$(eval $(t)_USES ?= $(INIT) $(KUBELET_AREA) $(TPM)))

define unit_test
$(UNIT)/$(1): tests/unit/$(1).c $($(1)_EXTRA) $(patsubst %,$(UNIT)/a/%.a,$($(1)_USES)) \
		tests/unit/unit.h $(wildcard tests/unit/*.h)
	$(CC) $(UNIT_CFLAGS) $(UNIT_INC) -iquote tests/unit -o $$@ $$(filter %.c,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group $(UNIT_LDLIBS) $($(1)_LDLIBS)
endef
define fuzz_target
$(UNIT)/$(1): tests/unit/$(1).c $(patsubst %,$(UNIT)/fa/%.a,$($(1)_USES))
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(UNIT_INC) -o $$@ $$(filter %.c,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group $(UNIT_LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test,$(t))))
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

# Every suite runs, also after a failing one; tests/check.sh counts the results of each, and the
# target fails when any did.
unit: $(addprefix $(UNIT)/,$(UNIT_TESTS))
	@bad=0; for t in $^; do $$t || { echo "unit: $$(basename $$t) failed" >&2; bad=1; }; done; \
		exit $$bad

# FUZZ_SECONDS per target (make fuzz FUZZ_SECONDS=600 for a long run).
FUZZ_SECONDS ?= 10
# One rule a target, so that make -j2 fuzz runs two at a time (each its FUZZ_SECONDS on a core).
FUZZ_RUNS := $(addprefix fuzz-run-,$(FUZZ_TARGETS))
fuzz: $(FUZZ_RUNS)
$(FUZZ_RUNS): fuzz-run-%: $(UNIT)/%
	@mkdir -p $(UNIT)/corpus-$*
	@$< -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=$(UNIT)/crash-$*- \
		$(UNIT)/corpus-$* tests/unit/seeds/$* >$(UNIT)/$*.log 2>&1 || \
		{ tail -30 $(UNIT)/$*.log; exit 1; }
	@echo "$*: $$(grep -o 'Done [0-9]* runs' $(UNIT)/$*.log)"
.PHONY: $(FUZZ_RUNS)
