# Unit tests: cmocka, built with ASan and UBSan; fuzz targets: libFuzzer (clang).
UNIT := $(BUILD)/unit
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_CFLAGS := -std=gnu17 -D_GNU_SOURCE -O1 -g $(WARN) $(SAN) -Iinit -Imeasured-boot -Ilib/policy
UNIT_TESTS := test-cmdline test-service test-supervise-fsm test-supervise test-service-proc \
	test-exitrd-handoff test-peer test-dps test-tpm test-pcr test-harden test-manifest test-kubelet \
	test-network test-seccomp-policy test-oci-image test-kubelet-io \
	test-policy test-confine
POLICY_SRC := lib/policy/seccomp-policy.c lib/policy/seccomp-compile.c

$(UNIT)/test-cmdline: tests/unit/test-cmdline.c init/cmdline.c init/util.c
$(UNIT)/test-service: tests/unit/test-service.c init/service.c init/sandbox.c init/util.c $(POLICY_SRC)
$(UNIT)/test-supervise-fsm: tests/unit/test-supervise-fsm.c init/supervise-fsm.c \
	tests/unit/fsm-steps.h
# supervise.c itself, with fakes of the loop, the clock and service-proc.c (tests/unit/fake-svc.c)
$(UNIT)/test-supervise: tests/unit/test-supervise.c tests/unit/fake-svc.c tests/unit/fake-svc.h \
	tests/unit/fsm-steps.h \
	init/supervise.c init/supervise-fsm.c init/service.c init/sandbox.c init/log.c init/util.c \
	$(POLICY_SRC)
$(UNIT)/test-supervise: UNIT_LIBS := -Wl,--wrap=now_ms
$(UNIT)/test-service-proc: tests/unit/test-service-proc.c init/service-proc.c init/util.c
$(UNIT)/test-exitrd-handoff: tests/unit/test-exitrd-handoff.c init/exitrd-handoff.c init/util.c
$(UNIT)/test-peer: tests/unit/test-peer.c init/peer.c init/util.c
$(UNIT)/test-dps: tests/unit/test-dps.c init/dps.c init/cmdline.c init/util.c
$(UNIT)/test-harden: tests/unit/test-harden.c init/stage-harden.c init/log.c init/util.c \
	tests/unit/stub-bpf-lsm.c init/service.c init/sandbox.c $(POLICY_SRC)
$(UNIT)/test-network: tests/unit/test-network.c init/stage-network.c init/log.c init/util.c
$(UNIT)/test-manifest: tests/unit/test-manifest.c kubelet/manifest.c kubelet/ynode.c
$(UNIT)/test-kubelet: tests/unit/test-kubelet.c kubelet/spec.c kubelet/oci-image.c kubelet/fs.c \
	kubelet/unpack.c kubelet/manifest.c kubelet/ynode.c kubelet/backoff.c kubelet/policy.c init/util.c \
	lib/policy/seccomp-policy.c lib/policy/seccomp-oci.c
$(UNIT)/test-seccomp-policy: tests/unit/test-seccomp-policy.c $(POLICY_SRC) lib/policy/seccomp-oci.c
$(UNIT)/test-seccomp-policy: UNIT_LIBS := -ljson-c
$(UNIT)/test-kubelet: UNIT_LIBS := -ljson-c -lcrypto
# kcc-kubelet's image and I/O side: OCI layouts, unpack limits, import, pod folders; HTTP endpoints.
$(UNIT)/test-oci-image: tests/unit/test-oci-image.c kubelet/oci-image.c kubelet/unpack.c \
	kubelet/import.c kubelet/fs.c kubelet/pod-dir.c kubelet/manifest.c kubelet/ynode.c init/util.c
$(UNIT)/test-oci-image: UNIT_LIBS := -ljson-c -lcrypto
$(UNIT)/test-kubelet-io: tests/unit/test-kubelet-io.c kubelet/http.c kubelet/http-parse.c kubelet/fs.c \
	init/util.c
$(UNIT)/test-confine: tests/unit/test-confine.c kubelet/confine.c
$(UNIT)/test-policy: tests/unit/test-policy.c kubelet/policy.c kubelet/hostpath.c kubelet/userns.c \
	kubelet/manifest.c kubelet/ynode.c kubelet/fs.c init/util.c
MB_SRC := $(addprefix measured-boot/,$(addsuffix .c,$(MB_LIB)))
$(UNIT)/test-tpm: tests/unit/test-tpm.c $(MB_SRC) measured-boot/tpm-quote.c measured-boot/quote.c
$(UNIT)/test-pcr: tests/unit/test-pcr.c $(MB_SRC) measured-boot/uki.c measured-boot/authenticode.c
$(addprefix $(UNIT)/,$(UNIT_TESTS)): tests/unit/unit.h
	@mkdir -p $(UNIT)
	$(CC) $(UNIT_CFLAGS) -Imeasured-boot -Ikubelet $(shell pkg-config --cflags $(TPM_PKGS)) -o $@ \
		$(filter %.c,$^) -lcmocka $(shell pkg-config --libs $(TPM_PKGS)) -lcap -lseccomp -lyaml \
		-larchive $(UNIT_LIBS)

# Every suite runs, also after a failing one; tests/check.sh counts the results of each, and the
# target fails when any did.
unit: $(addprefix $(UNIT)/,$(UNIT_TESTS))
	@bad=0; for t in $^; do $$t || { echo "unit: $$(basename $$t) failed" >&2; bad=1; }; done; \
		exit $$bad

FUZZ_TARGETS := fuzz-cmdline fuzz-service fuzz-token fuzz-uki fuzz-manifest fuzz-http fuzz-unpack \
	fuzz-policy
$(UNIT)/fuzz-http: tests/unit/fuzz-http.c kubelet/http-parse.c
$(UNIT)/fuzz-unpack: tests/unit/fuzz-unpack.c kubelet/oci-image.c kubelet/unpack.c kubelet/fs.c \
	init/util.c
$(UNIT)/fuzz-unpack: FUZZ_LIBS := -larchive -ljson-c -lcrypto
$(UNIT)/fuzz-manifest: tests/unit/fuzz-manifest.c kubelet/manifest.c kubelet/ynode.c kubelet/policy.c \
	init/util.c
$(UNIT)/fuzz-policy: tests/unit/fuzz-policy.c kubelet/policy.c kubelet/manifest.c kubelet/ynode.c \
	init/util.c
$(UNIT)/fuzz-cmdline: tests/unit/fuzz-cmdline.c init/cmdline.c init/util.c
$(UNIT)/fuzz-service: tests/unit/fuzz-service.c init/service.c init/sandbox.c init/util.c $(POLICY_SRC)
$(UNIT)/fuzz-token: tests/unit/fuzz-token.c $(MB_SRC)
$(UNIT)/fuzz-uki: tests/unit/fuzz-uki.c measured-boot/uki.c measured-boot/authenticode.c measured-boot/pcr.c
$(addprefix $(UNIT)/,$(FUZZ_TARGETS)):
	@mkdir -p $(UNIT)
	clang -std=gnu17 -D_GNU_SOURCE -g -O1 -Iinit -Imeasured-boot -Ikubelet -Ilib/policy \
		$(shell pkg-config --cflags $(TPM_PKGS)) -fsanitize=fuzzer,address,undefined -o $@ $^ \
		$(shell pkg-config --libs $(TPM_PKGS)) -lcap -lseccomp -lyaml $(FUZZ_LIBS)

# FUZZ_SECONDS per target (make fuzz FUZZ_SECONDS=600 for a long run).
FUZZ_SECONDS ?= 10
fuzz: $(addprefix $(UNIT)/,$(FUZZ_TARGETS))
	@for t in $^; do mkdir -p $(UNIT)/corpus-$$(basename $$t); \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -artifact_prefix=$(UNIT)/crash-$$(basename $$t)- $(UNIT)/corpus-$$(basename $$t) \
		tests/unit/seeds/$$(basename $$t) >$(UNIT)/$$(basename $$t).log 2>&1 || \
		{ tail -30 $(UNIT)/$$(basename $$t).log; exit 1; }; \
		echo "$$(basename $$t): $$(grep -o 'Done [0-9]* runs' $(UNIT)/$$(basename $$t).log)"; done
