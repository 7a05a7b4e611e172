# kcc-node: every entry point. See README.md.
#   make            build the C binaries (hardened, -Werror)
#   make image      build the disk image (VARIANT=prod|test, VERSION=, EPOCH=) and its update bundle
#                   into build/<variant>/
#   make cloud-images  the image as VHD (Azure), VMDK and GCE tar.gz, in build/<variant>/cloud/
#   make run        build the image and boot it in qemu with swtpm, serial console on the terminal
#   make check      unit (ASan/UBSan), fuzz smoke, BATS and VM tests; ends with "N passed, N failed"
#   make check-long the long VM matrices (tests/vm/long/ and tests/vm/check-long.list), same last line
#   make bench      boot and size figures (prints, never asserts)
#   make bench-compare  kcc-node side by side with systemd 252 + dracut 059 (prints, never asserts)
#   make deps       install the Debian packages that building and testing need

SHELL := /bin/bash
.DEFAULT_GOAL := all
BUILD ?= build
VARIANT ?= prod
CC ?= gcc

HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fcf-protection \
	-fPIE
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -Wno-format-truncation
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu17 -D_GNU_SOURCE $(WARN) $(HARDEN) -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed

OBJ := $(BUILD)/obj
BIN := $(BUILD)/bin

# Sources: a library or a program is every .c file of its folder, so adding a file touches no list
# (tests/unit/unit.mk builds the same folders with sanitizers). lib/ is shared code, each folder a
# static library with its own headers (docs/architecture.md, "Code layout"):
#   lib/basic   errors, logging, the epoll loop, files, hex, the control protocol, HTTP (libc only)
#   lib/policy  the one seccomp policy of services and pods (libseccomp, json-c)
#   lib/tpm     the TPM library, the only Esys_* caller (tpm2-tss, json-c, libcrypto)
#   lib/events  security events: the catalogue, RFC 5424 syslog with structured data, the kernel
#               log's records, the spool (json-c, zlib)
#   lib/config  the node's configuration: its sources (fw_cfg, SMBIOS, a partition) and its strict
#               JSON schema (json-c, libcrypto)
#   lib/update  the update bundle: writer and streaming verifier (json-c, libcrypto); the ESP's
#               boot entries; the A/B slots and their writer (libfdisk)
#   lib/attest  attestation: the join protocol's messages, the verifier's appraisal and the
#               certificates it issues (json-c, libcrypto; lib/tpm's software parts)
# A program compiles against its own folder and the lib/ folders it names, never another program's.
LIBS := basic policy tpm config events update attest
$(foreach l,$(LIBS),$(eval lib-$(l)_SRC := $(wildcard lib/$(l)/*.c)))
lib-basic_INC := -iquote lib/basic
lib-policy_INC := -iquote lib/policy -iquote lib/basic $(shell pkg-config --cflags libseccomp json-c)
TPM_PKGS := tss2-esys tss2-sys tss2-mu tss2-rc tss2-tctildr tss2-tcti-device json-c libcrypto
lib-tpm_INC := -iquote lib/tpm -iquote lib/basic $(shell pkg-config --cflags $(TPM_PKGS))
lib-events_INC := -iquote lib/events -iquote lib/basic $(shell pkg-config --cflags json-c libseccomp)
lib-config_INC := -iquote lib/config -iquote lib/basic $(shell pkg-config --cflags json-c libcrypto)
lib-update_INC := -iquote lib/update -iquote lib/basic $(shell pkg-config --cflags json-c libcrypto fdisk)
lib-attest_INC := -iquote lib/attest $(lib-tpm_INC)

# Programs: NAME_SRC, NAME_INC (own folder, the lib/ headers), NAME_LIBS (lib archives, in link
# order), NAME_LDLIBS, NAME_LDFLAGS.
# kcc-sysinit (init/sys/): PID 1 of the system stage, the supervisor; libc, lib/basic,
# lib/policy's capability table (caps.c; the archive's libseccomp parts are never linked in) and
# lib/events' sender (send.c, dgram.c: libc only),
# linked statically (no shared libc mapped: less resident and private memory, measured in
# docs/architecture.md). It may include init/bpf/kcc-lsm.h, the BPF programs' record layout.
kcc-sysinit_SRC := $(wildcard init/sys/*.c)
kcc-sysinit_INC := -iquote init/sys -iquote init/bpf $(lib-policy_INC) -iquote lib/events
kcc-sysinit_LIBS := policy events basic
kcc-sysinit_LDFLAGS := -static-pie
# kcc-init (init/ and init/sys/ but its main): PID 1 of the initrd stage and of the exitrd, and the
# system stage's helpers (init/sys/helper.h), with every heavy library.
PKGS := libcryptsetup libkmod blkid libbpf libcap libseccomp
kcc-init_SRC := $(filter-out init/ctl.c init/sandbox-main.c init/dhcp-hook.c,$(wildcard init/*.c)) \
	$(filter-out init/sys/main.c,$(kcc-sysinit_SRC))
kcc-init_INC := -iquote init -iquote init/sys -I$(BUILD)/bpf -iquote init/bpf $(lib-tpm_INC) \
	$(lib-policy_INC) $(lib-config_INC) -iquote lib/update -iquote lib/events \
	$(shell pkg-config --cflags $(PKGS))
kcc-init_LIBS := tpm policy config update events basic
kcc-init_LDLIBS := $(shell pkg-config --libs $(PKGS) $(TPM_PKGS))
# kcc-init-test: kcc-init for test images, with the test-only fault hooks (init/test-hooks.h).
kcc-init-test_SRC := $(filter-out init/test-hooks.c,$(kcc-init_SRC)) tests/vm/test-hooks.c
kcc-init-test_INC := $(kcc-init_INC)
kcc-init-test_LIBS := $(kcc-init_LIBS)
kcc-init-test_LDLIBS := $(kcc-init_LDLIBS)
# kcc-sandbox: the chain-loader PID 1 executes in a service's child (init/sandbox-main.c): the
# security profile with libcap and libseccomp, then exec.
kcc-sandbox_SRC := init/sandbox-main.c init/sandbox.c init/sys/service.c
kcc-sandbox_INC := $(kcc-init_INC)
kcc-sandbox_LIBS := policy basic
kcc-sandbox_LDLIBS := $(shell pkg-config --libs libcap libseccomp json-c)
# kcc-ctl: the control client (its protocol is lib/basic/control.c).
kcc-ctl_SRC := init/ctl.c
kcc-ctl_INC := -iquote init $(lib-basic_INC)
kcc-ctl_LIBS := basic
# kcc-dhcp-hook: dhcpcd's hook that writes the lease's name servers (lib/config/resolv-conf.c),
# static, libc only.
kcc-dhcp-hook_SRC := init/dhcp-hook.c
kcc-dhcp-hook_INC := -iquote lib/config $(lib-basic_INC)
kcc-dhcp-hook_LIBS := config basic
kcc-dhcp-hook_LDFLAGS := -static-pie
# kcc-pcr: the measured-boot tool on top of lib/tpm.
kcc-pcr_SRC := $(wildcard measured-boot/*.c)
kcc-pcr_INC := -iquote measured-boot $(lib-tpm_INC)
kcc-pcr_LIBS := tpm basic
kcc-pcr_LDLIBS := $(shell pkg-config --libs $(TPM_PKGS))
# kcc-kubelet (kubelet/): libyaml, json-c, libcrypto; libarchive linked statically so that only its
# tar, gzip and zstd code comes along (the shared library pulls libxml2 and ICU, 30 MB).
kcc-kubelet_SRC := $(wildcard kubelet/*.c)
kcc-kubelet_INC := -iquote kubelet $(lib-policy_INC) -iquote lib/events \
	$(shell pkg-config --cflags yaml-0.1 json-c libarchive)
kcc-kubelet_LIBS := policy events basic
kcc-kubelet_LDLIBS := -Wl,-Bstatic -larchive -Wl,-Bdynamic -lacl -lzstd -lz \
	$(shell pkg-config --libs yaml-0.1 json-c libcrypto libcap libseccomp)
# kcc-forward (forward/): security events to the SIEM over RFC 5425 (OpenSSL, lib/events).
kcc-forward_SRC := $(wildcard forward/*.c)
kcc-forward_INC := -iquote forward $(lib-events_INC)
kcc-forward_LIBS := events basic
kcc-forward_LDLIBS := $(shell pkg-config --libs json-c libssl libcrypto libseccomp) -lz
# kcc-update (update/): the node's update tool on top of lib/update (libfdisk for the GPT).
# mkbundle: the builder's writer.
kcc-update_SRC := $(wildcard update/*.c)
kcc-update_INC := -iquote update $(lib-update_INC) -iquote lib/config -iquote lib/events
kcc-update_LIBS := update config events basic
kcc-update_LDLIBS := $(shell pkg-config --libs fdisk blkid json-c libssl libcrypto) -lpthread
# kcc-update-test: kcc-update for test images, with the slot writer's fault hook (update/test-fault.h).
kcc-update-test_SRC := $(filter-out update/test-fault.c,$(kcc-update_SRC)) tests/vm/update-test-fault.c
kcc-update-test_INC := $(kcc-update_INC)
kcc-update-test_LIBS := $(kcc-update_LIBS)
kcc-update-test_LDLIBS := $(kcc-update_LDLIBS)
# kcc-suc (suc/): the upgrade image's command for the system-upgrade-controller, static, libc only.
kcc-suc_SRC := $(wildcard suc/*.c)
kcc-suc_INC := -iquote suc
kcc-suc_LDFLAGS := -static-pie
mkbundle_SRC := image/mkbundle.c
mkbundle_INC := $(lib-update_INC)
mkbundle_LIBS := update basic
mkbundle_LDLIBS := $(shell pkg-config --libs json-c libcrypto)
# kcc-verify (verify/): the verifier, its CLI and TLS service (lib/attest, OpenSSL).
kcc-verify_SRC := $(wildcard verify/*.c)
kcc-verify_INC := -iquote verify $(lib-attest_INC) $(shell pkg-config --cflags libssl)
kcc-verify_LIBS := attest tpm basic
kcc-verify_LDLIBS := $(shell pkg-config --libs libssl $(TPM_PKGS))
# kcc-attest (attest/): the node's join client and service (lib/tpm, lib/attest's messages,
# lib/events' sender for the verdict, lib/config for the verifier's URL and CA, OpenSSL).
kcc-attest_SRC := $(wildcard attest/*.c)
kcc-attest_INC := -iquote attest $(lib-attest_INC) $(lib-config_INC) -iquote lib/events \
	$(shell pkg-config --cflags libssl)
kcc-attest_LIBS := attest config tpm events basic
kcc-attest_LDLIBS := $(shell pkg-config --libs libssl $(TPM_PKGS))
# kcc-attest-test: kcc-attest for the host tests, with a stand-in for the SEV-SNP device
# (attest/snp-guest.h); no image carries it.
kcc-attest-test_SRC := $(filter-out attest/snp-stand-in.c,$(kcc-attest_SRC)) tests/bats/attest-snp-stand-in.c
kcc-attest-test_INC := $(kcc-attest_INC)
kcc-attest-test_LIBS := $(kcc-attest_LIBS)
kcc-attest-test_LDLIBS := $(kcc-attest_LDLIBS)
mkcpio_SRC := image/mkcpio.c
kconfig-check_SRC := kernel-config/kconfig-check.c
# kcc-sysinit last: its objects, shared with kcc-init, compile against its narrower headers.
PROGRAMS := kcc-init kcc-init-test kcc-sandbox kcc-ctl kcc-dhcp-hook kcc-pcr kcc-kubelet kcc-forward kcc-update kcc-update-test kcc-suc \
	kcc-verify kcc-attest kcc-attest-test mkbundle mkcpio kconfig-check kcc-sysinit

objs = $(patsubst %.c,$(OBJ)/%.o,$(1))
define lib_rules
$(OBJ)/lib-$(1).a: $(call objs,$(lib-$(1)_SRC))
	@rm -f $$@
	$(AR) rcs $$@ $$^
$(call objs,$(lib-$(1)_SRC)): CFLAGS_INC := $(lib-$(1)_INC)
endef
define prog_rules
$(BIN)/$(1): $(call objs,$($(1)_SRC)) $(patsubst %,$(OBJ)/lib-%.a,$($(1)_LIBS)) | $(BIN)
	$(CC) $(LDFLAGS) $($(1)_LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $($(1)_LDLIBS)
$(call objs,$($(1)_SRC)): CFLAGS_INC := $($(1)_INC)
endef
$(foreach l,$(LIBS),$(eval $(call lib_rules,$(l))))
$(foreach p,$(PROGRAMS),$(eval $(call prog_rules,$(p))))
$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(CFLAGS_INC) -c $< -o $@
$(BIN):
	mkdir -p $@

all: $(addprefix $(BIN)/,$(PROGRAMS)) \
	$(BIN)/kcc-test-probe $(BIN)/kcc-test-standin-kubelet $(BIN)/kcc-test-hostile
.PHONY: all image cloud-images run check check-long bench bench-compare deps pin unit fuzz clean

# The BPF LSM: vmlinux.h from the BTF of kcc-node's kernel (image/kernel.sh builds it once, cached
# in build/kernel), CO-RE object, bpftool skeleton.
BPF := $(BUILD)/bpf
$(BPF)/vmlinux.h: image/packages.lock image/vmlinux-h.sh image/kernel.sh $(wildcard kernel-config/*/*.config) \
		$(BIN)/kconfig-check
	KCC_BIN=$(BIN) image/vmlinux-h.sh $@
$(BPF)/kcc-lsm.bpf.o: init/bpf/kcc-lsm.bpf.c init/bpf/kcc-lsm.h $(BPF)/vmlinux.h
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I$(BPF) -iquote init/bpf -c $< -o $@
	llvm-strip -g $@
$(BPF)/kcc-lsm.skel.h: $(BPF)/kcc-lsm.bpf.o
	bpftool gen skeleton $< name kcc_lsm >$@
$(OBJ)/init/bpf-lsm.o: $(BPF)/kcc-lsm.skel.h
# In test images only: hardening checks that need system calls busybox cannot make.
$(BIN)/kcc-test-probe: tests/vm/probe.c | $(BIN)
	$(CC) -std=gnu17 -O2 $(WARN) -static -o $@ $<
# In test images only: the hostile service's harness (tests/vm/55-hostile-service.bats).
$(BIN)/kcc-test-hostile: tests/vm/hostile.c | $(BIN)
	$(CC) -std=gnu17 -D_GNU_SOURCE -O2 $(WARN) -static -o $@ $<
# The upstream-mode VM test's stand-in for the upstream kubelet (named as a stand-in everywhere).
$(BIN)/kcc-test-standin-kubelet: tests/vm/standin-kubelet.c | $(BIN)
	$(CC) -std=gnu17 -D_GNU_SOURCE -O2 $(WARN) -o $@ $< $(shell pkg-config --libs libssl libcrypto)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

include tests/unit/unit.mk

deps:
	@image/deps.sh

# Targets that need the Debian packages install them first, then build.
image:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	image/build.sh --variant $(VARIANT) --out $(BUILD)/$(VARIANT) $(if $(KUBELET),--kubelet $(KUBELET)) \
		$(if $(VERSION),--version $(VERSION)) $(if $(EPOCH),--epoch $(EPOCH))

# The disk for the clouds: fixed VHD (Azure), stream-optimised VMDK, GCE tar.gz (image/cloud.sh).
cloud-images: image
	image/cloud.sh $(BUILD)/$(VARIANT)

run:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	image/build.sh --variant $(VARIANT) --out $(BUILD)/$(VARIANT)
	tests/vm/run-vm.sh --image $(BUILD)/$(VARIANT) --mode $(or $(MODE),direct) --interactive \
		--forward $(or $(PORT),8080):8080

check:
	@image/deps.sh --check
	@tests/check.sh

# The long VM matrices (tests/vm/long/, tests/vm/check-long.list): CI runs them after make check.
check-long:
	@image/deps.sh --check
	@tests/check-long.sh

bench:
	@image/deps.sh --check
	@$(MAKE) --no-print-directory all
	@tests/bench.sh

# The reference image is cached (image/reference/build.sh rebuilds it only when its inputs change).
# It boots kcc-node's own kernel; REF_KERNEL=debian gives it Debian's kernel and modules instead.
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
