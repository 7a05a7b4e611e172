# kcc-node: every entry point. See README.md.
#   make            build the C binaries (hardened, -Werror)
#   make image      build the disk image (VARIANT=prod|test) into build/<variant>/
#   make run        build the image and boot it in qemu with swtpm, serial console on the terminal
#   make check      unit (ASan/UBSan), fuzz smoke, BATS and VM tests; ends with "N passed, N failed"
#   make bench      boot and size figures (prints, never asserts)
#   make bench-compare  kcc-node side by side with systemd 252 + dracut 059 (prints, never asserts)
#   make deps       install the Debian packages that building and testing need

SHELL := /bin/bash
BUILD ?= build
VARIANT ?= prod
CC ?= gcc

HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fcf-protection \
	-fPIE
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -Wno-format-truncation
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu17 -D_GNU_SOURCE $(WARN) $(HARDEN) -MMD -MP -Imeasured-boot
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
PKGS := libcryptsetup libkmod blkid libbpf libcap libseccomp
TPM_PKGS := tss2-esys tss2-sys tss2-mu tss2-rc tss2-tctildr tss2-tcti-device json-c libcrypto

INIT_COMMON := util log cmdline dps
INIT_OBJS := $(INIT_COMMON) blkid kmod cryptsetup measure stage-early stage-modules stage-verity \
	stage-switchroot stage-state stage-system stage-network stage-harden bpf-lsm timeline service sandbox supervise-fsm service-proc supervise ready-http loop control peer control-server exitrd-handoff pid1 \
	shutdown main
CTL_OBJS := util control ctl
# measured-boot/: the TPM library (the only Esys_* caller), shared by kcc-init and kcc-pcr.
MB_LIB := pcr tpm tpm-seal sealed pcrsig eventlog json-get
MB_OBJS := $(MB_LIB) tpm-quote quote uki authenticode kcc-pcr kcc-pcr-seal

OBJ := $(BUILD)/obj
BIN := $(BUILD)/bin
# lib/policy: the one seccomp policy of services and pods (the table, its libseccomp compilation
# for kcc-init, its OCI rendering for kcc-kubelet).
POLICY_INIT := $(addprefix $(OBJ)/lib/policy/,seccomp-policy.o seccomp-compile.o)
POLICY_KUBELET := $(addprefix $(OBJ)/lib/policy/,seccomp-policy.o seccomp-oci.o)
$(OBJ)/lib/policy/%.o: lib/policy/%.c | $(OBJ)/lib/policy
	$(CC) $(CFLAGS) -Ilib/policy $(shell pkg-config --cflags libseccomp json-c) -c $< -o $@
$(OBJ)/lib/policy:
	mkdir -p $@

all: $(BIN)/kcc-init $(BIN)/kcc-ctl $(BIN)/kcc-pcr $(BIN)/mkcpio $(BIN)/kconfig-check \
	$(BIN)/kcc-test-probe $(BIN)/kcc-kubelet $(BIN)/kcc-test-standin-kubelet $(BIN)/kcc-test-hostile
.PHONY: all image run check bench bench-compare deps pin unit fuzz clean

$(OBJ)/init/%.o: init/%.c | $(OBJ)/init
	$(CC) $(CFLAGS) -I$(BPF) -Iinit/bpf -Ilib/policy $(shell pkg-config --cflags $(PKGS) $(TPM_PKGS)) -c $< -o $@

# The BPF LSM: vmlinux.h from the pinned kernel's BTF, CO-RE object, bpftool skeleton.
BPF := $(BUILD)/bpf
$(BPF)/vmlinux.h: image/packages.lock image/vmlinux-h.sh
	image/vmlinux-h.sh $@
$(BPF)/kcc-lsm.bpf.o: init/bpf/kcc-lsm.bpf.c init/bpf/kcc-lsm.h $(BPF)/vmlinux.h
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(BPF) -Iinit/bpf -c $< -o $@
	llvm-strip -g $@
$(BPF)/kcc-lsm.skel.h: $(BPF)/kcc-lsm.bpf.o
	bpftool gen skeleton $< name kcc_lsm >$@
$(OBJ)/init/bpf-lsm.o: $(BPF)/kcc-lsm.skel.h
$(OBJ)/measured-boot/%.o: measured-boot/%.c | $(OBJ)/measured-boot
	$(CC) $(CFLAGS) $(shell pkg-config --cflags $(TPM_PKGS)) -c $< -o $@
$(OBJ)/image/%.o: image/%.c | $(OBJ)/image
	$(CC) $(CFLAGS) -c $< -o $@
$(OBJ)/init $(OBJ)/image $(OBJ)/measured-boot $(OBJ)/kernel-config $(BIN):
	mkdir -p $@

$(BIN)/kcc-init: $(addprefix $(OBJ)/init/,$(addsuffix .o,$(INIT_OBJS))) $(POLICY_INIT) \
		$(addprefix $(OBJ)/measured-boot/,$(addsuffix .o,$(MB_LIB))) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(PKGS) $(TPM_PKGS))
$(BIN)/kcc-pcr: $(addprefix $(OBJ)/measured-boot/,$(addsuffix .o,$(MB_OBJS))) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs $(TPM_PKGS))
$(BIN)/kcc-ctl: $(addprefix $(OBJ)/init/,$(addsuffix .o,$(CTL_OBJS))) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^
$(BIN)/mkcpio: $(OBJ)/image/mkcpio.o | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^
$(OBJ)/kernel-config/%.o: kernel-config/%.c | $(OBJ)/kernel-config
	$(CC) $(CFLAGS) -c $< -o $@
$(BIN)/kconfig-check: $(OBJ)/kernel-config/kconfig-check.o | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^
# kcc-kubelet (kubelet/): libyaml, json-c, libcrypto; libarchive linked statically so that only its
# tar, gzip and zstd code comes along (the shared library pulls libxml2 and ICU, 30 MB).
KUBELET_OBJS := main pods runtime probe status http http-parse spec oci-image unpack import fs pod-dir \
	manifest ynode backoff policy hostpath userns confine
KUBELET_LIBS := -Wl,-Bstatic -larchive -Wl,-Bdynamic -lacl -lzstd -lz \
	$(shell pkg-config --libs yaml-0.1 json-c libcrypto libcap)
$(OBJ)/kubelet/%.o: kubelet/%.c | $(OBJ)/kubelet
	$(CC) $(CFLAGS) -Iinit -Ilib/policy $(shell pkg-config --cflags yaml-0.1 json-c libarchive) -c $< -o $@
$(OBJ)/kubelet:
	mkdir -p $@
$(BIN)/kcc-kubelet: $(addprefix $(OBJ)/kubelet/,$(addsuffix .o,$(KUBELET_OBJS))) $(OBJ)/init/util.o \
		$(POLICY_KUBELET) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(KUBELET_LIBS)
# In test images only: hardening checks that need system calls busybox cannot make.
$(BIN)/kcc-test-probe: tests/vm/probe.c | $(BIN)
	$(CC) -std=gnu17 -O2 $(WARN) -static -o $@ $<
# In test images only: the hostile service's harness (tests/vm/55-hostile-service.bats).
$(BIN)/kcc-test-hostile: tests/vm/hostile.c | $(BIN)
	$(CC) -std=gnu17 -D_GNU_SOURCE -O2 $(WARN) -static -o $@ $<
# The upstream-mode VM test's stand-in for the upstream kubelet (named as a stand-in everywhere).
$(BIN)/kcc-test-standin-kubelet: tests/vm/standin-kubelet.c | $(BIN)
	$(CC) -std=gnu17 -D_GNU_SOURCE -O2 $(WARN) -static -o $@ $<

-include $(wildcard $(OBJ)/*/*.d $(OBJ)/lib/*/*.d)

include tests/unit/unit.mk

deps:
	@image/deps.sh

# Targets that need the Debian packages install them first, then build.
image:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	image/build.sh --variant $(VARIANT) --out $(BUILD)/$(VARIANT) $(if $(KUBELET),--kubelet $(KUBELET))

run:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	image/build.sh --variant $(VARIANT) --out $(BUILD)/$(VARIANT)
	tests/vm/run-vm.sh --image $(BUILD)/$(VARIANT) --mode $(or $(MODE),direct) --interactive \
		--forward $(or $(PORT),8080):8080

check:
	@image/deps.sh --check
	@tests/check.sh

bench:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	@tests/bench.sh

# The reference image is cached (image/reference/build.sh rebuilds it only when its inputs change).
bench-compare:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	image/build.sh --variant test --out $(BUILD)/test
	image/reference/build.sh --kcc-image $(BUILD)/test --out $(BUILD)/reference
	@tests/bench-compare.sh

pin:
	image/pin.sh

clean:
	rm -rf $(OBJ) $(BIN) $(BUILD)/unit
