# jail6 — one hand-written GNU Makefile.
#   make            build build/jail6 and build/jail6-lab
#   make check      build and run the whole suite (unit, golden, netns when root)
#   make sanitize   the whole suite again under ASan+UBSan (build-san/)
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make install    PREFIX=/usr/local DESTDIR= (make uninstall: the same files)
#   make deb        the Debian package (dpkg-buildpackage), build/jail6_*.deb
#   V=1             show the commands
#
# Layout of the build: libjail6.a holds everything but the front ends
# (src/cli is jail6, src/lab is jail6-lab). The test build compiles the few
# files that include util/testhook.h again with -DJAIL6_TEST_HOOKS into
# libjail6-test.a, which the unit tests, the netns drivers and
# BUILD/tests/jail6 link: the product binaries read no test-only variable.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
LIBDIR    ?= $(PREFIX)/lib/jail6
DATADIR   ?= $(PREFIX)/share/jail6
# systemd's search path has /usr/local/lib/systemd/system and /lib/systemd/system
UNITDIR   ?= $(PREFIX)/lib/systemd/system
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

PKGS      := libmnl libnftnl sqlite3 jansson libcurl lxc libbpf libmicrohttpd libseccomp libxcrypt
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lmnl -lnftnl -lsqlite3 -ljansson -lcurl -llxc -lbpf -lmicrohttpd -lseccomp -lcrypt)
# jail6-datapath links these only (tests/netns/t_privdrop.sh checks with ldd)
DP_PKGS   := libmnl libbpf libseccomp
DP_LIBS   := $(shell $(PKG_CONFIG) --libs $(DP_PKGS) 2>/dev/null || echo -lmnl -lbpf -lseccomp)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 $(WARN)
CPPFLAGS  += -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)
LDLIBS    += $(PKG_LIBS)
ifeq ($(WERROR),1)
CFLAGS    += -Werror
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

ALL_SRCS  := $(sort $(shell find src -name '*.c' -not -name '*.bpf.c' -not -path 'src/init/*'))
CLI_SRCS  := $(filter src/cli/%,$(ALL_SRCS))
LAB_SRCS  := $(filter src/lab/%,$(ALL_SRCS))
LIB_SRCS  := $(filter-out src/cli/% src/lab/% src/starter/% src/datapath/%,$(ALL_SRCS))
HOOK_SRCS := $(sort $(shell grep -l '"util/testhook.h"' $(LIB_SRCS)))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
LAB_OBJS  := $(LAB_SRCS:%.c=$(BUILD)/%.o)
LAB_LIB_OBJS := $(filter-out $(BUILD)/src/lab/main.o,$(LAB_OBJS))
HOOK_OBJS := $(HOOK_SRCS:%.c=$(BUILD)/testhooks/%.o)
TLIB_OBJS := $(filter-out $(HOOK_SRCS:%.c=$(BUILD)/%.o),$(LIB_OBJS)) $(HOOK_OBJS)
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
DRV_SRCS  := $(sort $(wildcard tests/netns/drv_*.c))
DRV_BINS  := $(DRV_SRCS:tests/netns/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
LIB       := $(BUILD)/libjail6.a
TLIB      := $(BUILD)/libjail6-test.a
BIN       := $(BUILD)/jail6
LAB_BIN   := $(BUILD)/jail6-lab
TEST_JAIL6 := $(BUILD)/tests/jail6
# PID 1 of a confined jail: static, as it runs inside the jail's root
INIT_BIN  := $(BUILD)/jail6-init
# starts confined jails for jail6: liblxc and lxc_record.c, nothing else
START_BIN := $(BUILD)/jail6-start
START_OBJS := $(BUILD)/src/starter/main.o $(BUILD)/src/os/linux/lxc_record.o
# the tunnel datapath, unprivileged once set up (src/datapath, src/tunnel):
# its main and what it needs of libjail6.a, nothing of jansson, SQLite,
# libcurl or liblxc; the test build's (BUILD/tests/) has the test hooks
DP_BIN    := $(BUILD)/jail6-datapath
TEST_DP_BIN := $(BUILD)/tests/jail6-datapath
HELPERS   := $(INIT_BIN) $(START_BIN) $(DP_BIN)

# systemd units (systemd/): install gives the *.in the installed jail6's path
UNIT_INS  := $(sort $(wildcard systemd/*.in))
UNIT_PLAIN := $(filter-out $(UNIT_INS),$(sort $(wildcard systemd/*)))
UNIT_NAMES := $(notdir $(UNIT_INS:%.in=%) $(UNIT_PLAIN))
EXAMPLES  := $(sort $(wildcard examples/*.conf))

.SECONDARY:
.PHONY: all check unit drivers sanitize fuzz install uninstall clean deps deb
all: $(BIN) $(LAB_BIN) $(HELPERS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/testhooks/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (test hooks)")
	$(Q)$(CC) $(CPPFLAGS) -DJAIL6_TEST_HOOKS $(CFLAGS) -MMD -MP -c $< -o $@

# where an installed jail6 finds jail6-init (src/os/linux/lxc.c also looks
# beside its own binary, which is how build/ and build/tests/ find it)
$(BUILD)/src/os/linux/lxc.o $(BUILD)/src/os/linux/lxc_host.o $(BUILD)/src/util/proc.o: CPPFLAGS += -DJAIL6_LIBDIR='"$(LIBDIR)"'

# The eBPF datapath's tc programs (src/tunnel/ebpf.bpf.c): compiled for the
# bpf target, embedded in jail6 through the skeleton bpftool generates
# (BUILD/gen/tunnel/ebpf.skel.h), which src/tunnel/ebpf.c loads with libbpf.
BPF_CLANG ?= clang
BPFTOOL   ?= bpftool
BPF_INC   := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)
$(BUILD)/gen/tunnel/ebpf.bpf.o: src/tunnel/ebpf.bpf.c src/tunnel/ebpf_shared.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)$(BPF_CLANG) -O2 -g -target bpf -Wall $(filter -Werror,$(CFLAGS)) -I$(BPF_INC) -Isrc -c $< -o $@

$(BUILD)/gen/tunnel/ebpf.skel.h: $(BUILD)/gen/tunnel/ebpf.bpf.o
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(BPFTOOL) gen skeleton $< name j6_ebpf >$@.tmp && mv $@.tmp $@

# (and the test driver that runs the programs on crafted frames)
EBPF_SKEL_USERS := $(BUILD)/src/tunnel/ebpf.o $(BUILD)/testhooks/src/tunnel/ebpf.o $(BUILD)/tests/netns/drv_ebpf.o
$(EBPF_SKEL_USERS): $(BUILD)/gen/tunnel/ebpf.skel.h
$(EBPF_SKEL_USERS): CPPFLAGS += -I$(BUILD)/gen

$(INIT_BIN): src/init/init.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@ (static)")
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) $(filter -Werror,$(CFLAGS)) -static -o $@ $<

$(START_BIN): $(START_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs lxc 2>/dev/null || echo -llxc)

$(DP_BIN): $(BUILD)/src/datapath/main.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DP_LIBS)

$(TEST_DP_BIN): $(BUILD)/src/datapath/main.o $(TLIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DP_LIBS)

# where the datapath's parent finds jail6-datapath when it is installed
$(BUILD)/src/tunnel/spawn.o $(BUILD)/testhooks/src/tunnel/spawn.o: CPPFLAGS += -DJAIL6_LIBDIR='"$(LIBDIR)"'

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(TLIB): $(TLIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LAB_BIN): $(LAB_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# jail6 with the test hooks, for the tests that need them.
$(TEST_JAIL6): $(CLI_OBJS) $(TLIB) $(TEST_DP_BIN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(TLIB) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LAB_LIB_OBJS) $(TLIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

# Test drivers for the netns scripts: small programs over the library.
$(BUILD)/tests/drv_%: $(BUILD)/tests/netns/drv_%.o $(TLIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The suite: every unit binary, the golden and CLI tests, and (as root) the
# network-namespace tests. tests/run prints the closing "N passed, N failed".
check: $(BIN) $(LAB_BIN) $(HELPERS) $(TEST_JAIL6) $(TEST_BINS) $(DRV_BINS) $(BUILD)/tests/escape $(BUILD)/tests/xfer
	$(Q)BUILD=$(BUILD) tests/run

unit: $(TEST_BINS)
	$(Q)BUILD=$(BUILD) tests/run unit

drivers: $(DRV_BINS) $(HELPERS) $(BUILD)/tests/escape $(BUILD)/tests/xfer

# tries to escape a confined jail (t_confine.sh); static, it runs in a busybox root
$(BUILD)/tests/escape: tests/netns/escape.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@ (static)")
	$(Q)$(CC) -std=c11 -O2 $(WARN) -static -o $@ $<

# moves a file over TCP or UDP in the QEMU guest (tests/qemu/init.sh);
# static, it runs in a busybox initramfs
$(BUILD)/tests/xfer: tests/qemu/xfer.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@ (static)")
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) $(filter -Werror,$(CFLAGS)) -static -o $@ $<

SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=build-san CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" check

FUZZ_SECONDS ?= 30
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
# the harnesses need the parser and the model, the util helpers they use
# (hash index, string map, whole-file read), and the pure datapath logic
FUZZ_LIB_SRCS := $(sort $(wildcard src/conf/*.c src/model/*.c)) \
		 src/util/fs.c src/util/hmap.c src/util/strmap.c src/tunnel/datapath.c
# Every sanitizer report is a crash (-fno-sanitize-recover=all): a UBSan
# finding stops the run and fails `make fuzz`, as an ASan one does.
FUZZ_CFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# the largest input of each harness: a datapath input carries packets (and
# batches of them) of up to 64 KiB; a config is three small files
FUZZ_MAX_LEN_fuzz_datapath := 65536
FUZZ_MAX_LEN_fuzz_conf := 16384
build-fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	@mkdir -p build-fuzz
	$(Q)clang $(FUZZ_CFLAGS) $(CPPFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) $(LDLIBS)
# each harness for FUZZ_SECONDS (bounded: CI passes 60), from its seeds in
# tests/fuzz/corpus and what earlier runs found (build-fuzz/corpus-NAME);
# the figures of the run at the end: executions, coverage, new units, RSS
fuzz: $(FUZZ_BINS)
	$(Q)set -e; for f in $(FUZZ_BINS); do n=$${f#build-fuzz/}; \
	  case $$n in fuzz_datapath) ml=$(FUZZ_MAX_LEN_fuzz_datapath);; *) ml=$(FUZZ_MAX_LEN_fuzz_conf);; esac; \
	  mkdir -p build-fuzz/corpus-$$n; \
	  echo "  FUZZ    $$n ($(FUZZ_SECONDS)s, inputs up to $$ml bytes)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=$$ml -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
	      build-fuzz/corpus-$$n tests/fuzz/corpus/$$n 2>build-fuzz/$$n.log || { tail -50 build-fuzz/$$n.log; exit 1; }; \
	  grep -E '^#[0-9]+.*DONE' build-fuzz/$$n.log | tail -1; \
	  grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' build-fuzz/$$n.log || true; \
	done

# uninstall removes exactly these files, then the directories that are
# jail6's own (LIBDIR, DATADIR) once empty
INSTALLED := $(BINDIR)/jail6 $(BINDIR)/jail6-lab $(LIBDIR)/jail6-init $(LIBDIR)/jail6-start $(LIBDIR)/jail6-datapath \
	     $(MANDIR)/man5/jail6.conf.5 $(MANDIR)/man8/jail6.8 $(MANDIR)/man8/jail6-lab.8 \
	     $(EXAMPLES:examples/%=$(DATADIR)/examples/%) $(addprefix $(UNITDIR)/,$(UNIT_NAMES))

install: $(BIN) $(LAB_BIN) $(HELPERS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/jail6
	install -m 0755 $(LAB_BIN) $(DESTDIR)$(BINDIR)/jail6-lab
	install -m 0755 $(INIT_BIN) $(DESTDIR)$(LIBDIR)/jail6-init
	install -m 0755 $(START_BIN) $(DESTDIR)$(LIBDIR)/jail6-start
	install -m 0755 $(DP_BIN) $(DESTDIR)$(LIBDIR)/jail6-datapath
	install -m 0644 docs/jail6.conf.5 $(DESTDIR)$(MANDIR)/man5/jail6.conf.5
	install -m 0644 docs/jail6.8 $(DESTDIR)$(MANDIR)/man8/jail6.8
	install -m 0644 docs/jail6-lab.8 $(DESTDIR)$(MANDIR)/man8/jail6-lab.8
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DATADIR)/examples/
	install -m 0644 $(UNIT_PLAIN) $(DESTDIR)$(UNITDIR)/
	for f in $(UNIT_INS); do u=$(DESTDIR)$(UNITDIR)/$$(basename $$f .in); \
	  sed 's|@SBINDIR@|$(BINDIR)|g' $$f >$$u && chmod 0644 $$u || exit 1; done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DATADIR)/examples $(DESTDIR)$(DATADIR) $(DESTDIR)$(LIBDIR) 2>/dev/null

# The Debian package (debian/), built from this tree; the .deb and its
# .buildinfo/.changes land in BUILD/ (dpkg-buildpackage writes them to ..).
deb:
	dpkg-buildpackage -us -uc -b
	@mkdir -p $(BUILD)/deb
	@v=$$(dpkg-parsechangelog -S Version); a=$$(dpkg --print-architecture); \
	  for f in ../jail6_$${v}_$$a.deb ../jail6-dbgsym_$${v}_$$a.deb ../jail6_$${v}_$$a.buildinfo ../jail6_$${v}_$$a.changes; do \
	    [ ! -e "$$f" ] || mv "$$f" $(BUILD)/deb/; done; ls $(BUILD)/deb/*.deb

deps:
	scripts/deps

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
