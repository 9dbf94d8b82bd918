# nucleus-init: one static (musl) PID 1.
#   make            build/nucleus-init (static, stripped) and build/nucleusctl
#   make check      every test suite; ends with "N passed, N failed"
#   make bench      benchmarks, printed side by side with peers
#   make deps       install the Debian packages the build and tests need
#   make image      build/demo.cpio.gz from conf/demo.ini
#   make run        boot the demo image in qemu (web page on PORT, default 8080)
#   make kernel     Debian's kernel and modules unpacked into build/kernel/

B        := build
# init/gen/ holds build tools, not parts of the program
SRCS     := $(sort $(filter-out init/gen/%,$(wildcard init/*.c init/*/*.c stages/*.c)))
MAIN_SRC := init/main.c
LIB_SRCS := $(filter-out $(MAIN_SRC),$(SRCS))
HDRS     := $(wildcard init/*.h init/*/*.h stages/*.h)

LIBDIR   := /usr/lib/x86_64-linux-gnu
LIBS_A   := $(LIBDIR)/libseccomp.a $(LIBDIR)/libinih.a

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation -Wvla
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2
CPPFLAGS := -D_GNU_SOURCE -Iinit -Istages
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

# The static build: musl, size-optimised, no unused sections, and no unwind
# tables (C without exceptions or backtraces never reads them: 33 KiB).
MUSL_CC     := musl-gcc
MUSL_INC    := $(B)/musl-include
MUSL_CFLAGS := -std=gnu11 -Os -flto=auto -fno-pie $(WARN) $(HARDEN) -ffunction-sections -fdata-sections \
               -fno-asynchronous-unwind-tables -fno-unwind-tables \
               -isystem $(MUSL_INC) -DNUCLEUS_VERSION='"$(VERSION)"'
MUSL_LDFLAGS:= -static -no-pie -Wl,--gc-sections -Wl,-z,relro,-z,now -s

# The sanitizer build: glibc, dynamic, the same sources; unit tests link it.
ASAN_CC     := gcc
ASAN_CFLAGS := -std=gnu11 -O1 -g $(WARN) -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -DNUCLEUS_VERSION='"$(VERSION)-asan"'

MUSL_OBJS := $(patsubst %.c,$(B)/musl/%.o,$(SRCS))
ASAN_OBJS := $(patsubst %.c,$(B)/asan/%.o,$(SRCS))
ASAN_LIB_OBJS := $(patsubst %.c,$(B)/asan/%.o,$(LIB_SRCS))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRCS))

.PHONY: all deps check unit integration qemu-tests bench image run kernel clean asan helpers fmt lint fuzz

all: $(B)/.deps $(B)/nucleus-init $(B)/nucleusctl $(B)/nhelper

# `make deps` checks every time; the other targets once, and again when the
# list of packages or the kernel script changes
deps:
	@./.ci/deps
	@image/get-kernel

$(B)/.deps: .ci/deps image/get-kernel
	@./.ci/deps
	@image/get-kernel
	@mkdir -p $(B) && touch $@

$(MUSL_INC)/.stamp:
	@mkdir -p $(MUSL_INC)
	@for h in seccomp.h seccomp-syscalls.h ini.h; do ln -sf /usr/include/$$h $(MUSL_INC)/$$h; done
	@ln -sfn /usr/include/linux $(MUSL_INC)/linux
	@ln -sfn /usr/include/asm-generic $(MUSL_INC)/asm-generic
	@ln -sfn /usr/include/x86_64-linux-gnu/asm $(MUSL_INC)/asm
	@touch $@

# The built-in seccomp filter, compiled once at build time (init/gen/seccomp-gen.c)
# with the host's gcc against the same Debian libseccomp, embedded as an array.
SC_GEN := $(B)/gen/seccomp-default.h
$(B)/seccomp-gen: init/gen/seccomp-gen.c init/isolate/seccomp.c init/util.c $(HDRS)
	@mkdir -p $(dir $@)
	$(ASAN_CC) -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -Iinit -o $@ init/gen/seccomp-gen.c init/isolate/seccomp.c init/util.c -lseccomp
$(SC_GEN): $(B)/seccomp-gen
	@mkdir -p $(dir $@)
	$< >$@.tmp && mv $@.tmp $@
$(B)/musl/init/isolate/seccomp.o $(B)/asan/init/isolate/seccomp.o: $(SC_GEN)
$(B)/musl/init/isolate/seccomp.o $(B)/asan/init/isolate/seccomp.o: OBJ_FLAGS := -DSC_EMBEDDED -I$(B)/gen

# Size first (-Oz, GCC 12, a few KiB under -Os: it keeps the binary under
# 400 KiB), but for what runs for every line a service writes: the records
# (made, kept, handed to followers) stay -Os.
HOT_SRCS  := init/records.c
$(patsubst %.c,$(B)/musl/%.o,$(filter-out $(HOT_SRCS),$(SRCS))): MUSL_CFLAGS += -Oz

$(B)/musl/%.o: %.c $(HDRS) $(MUSL_INC)/.stamp
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(CPPFLAGS) $(OBJ_FLAGS) $(MUSL_CFLAGS) -c $< -o $@

# Nothing reads unwind tables (C, no backtraces): ours are not made, and the
# libraries' .eh_frame (7 KiB) goes too. objcopy warns (harmlessly) that the
# headers' segment holds no section: the first try is quiet, a real failure
# shows in the second.
$(B)/nucleus-init: $(MUSL_OBJS) $(LIBS_A)
	$(MUSL_CC) $(MUSL_CFLAGS) $(MUSL_LDFLAGS) -o $@ $(MUSL_OBJS) $(LIBS_A)
	@objcopy -R .eh_frame $@ 2>/dev/null || objcopy -R .eh_frame $@

$(B)/nucleusctl: $(B)/nucleus-init
	ln -sf nucleus-init $@

$(B)/asan/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CPPFLAGS) $(OBJ_FLAGS) $(ASAN_CFLAGS) -c $< -o $@

$(B)/asan/nucleus-init: $(ASAN_OBJS)
	$(ASAN_CC) $(ASAN_CFLAGS) -o $@ $(ASAN_OBJS) -lseccomp -linih

asan: $(B)/.deps $(B)/asan/nucleus-init

$(B)/unit/%: tests/unit/%.c $(ASAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(ASAN_CC) $(CPPFLAGS) $(ASAN_CFLAGS) -o $@ $< $(ASAN_LIB_OBJS) -lcmocka -lseccomp -linih

# The test helper runs inside services (and later inside images): static too.
$(B)/nhelper: tests/helpers/nhelper.c
	@mkdir -p $(B)
	$(MUSL_CC) -std=gnu11 -Os -Wall -Wextra -Werror -D_GNU_SOURCE -isystem $(MUSL_INC) -static -s -o $@ $<

helpers: $(B)/nhelper

unit: $(B)/.deps $(UNIT_BINS)
	@tests/run-unit $(UNIT_BINS)

integration: all
	@tests/run-bats tests/integration

qemu-tests: all
	@tests/run-bats tests/qemu

# Every suite, one summary line; non-zero exit on any failure.
check: all asan $(UNIT_BINS)
	@tests/run-all

bench: all
	@tests/bench/run
	@echo
	@tests/bench/probe-cpu
	@echo
	@tests/bench/boot
	@echo
	@tests/bench/isolate
	@echo
	@tests/bench/cgroup
	@echo
	@tests/bench/crun-guest
	@echo
	@tests/bench/bridge
	@echo
	@tests/bench/ctl
	@echo
	@tests/bench/logs

kernel: $(B)/.deps

image: all kernel
	image/mkimage -m conf/demo.ini -o $(B)/demo.cpio.gz

PORT ?= 8080
run: image
	qemu/run -i $(B)/demo.cpio.gz -p $(PORT):80 --timeout 0

fuzz: $(B)/.deps
	@tests/fuzz/build

fmt:
	clang-format -i $(SRCS) $(HDRS) tests/helpers/*.c tests/unit/*.c

lint:
	cppcheck --quiet --enable=warning,portability --error-exitcode=1 -D_GNU_SOURCE -Iinit -Istages init stages

clean:
	rm -rf $(B)
