# Conference platform: mgmtd, confd and confcli.
#
# Plain GNU make, one non-recursive build.  Every directory's sources are
# picked up by wildcard so that adding a module needs no Makefile edit:
#   common/*.c            -> $(B)/libcommon.a   (shared by all programs)
#   mgmtd/*.c but main.c  -> $(B)/libmgmtd.a    (so unit tests can link it)
#   confd/*.c but main.c  -> $(B)/libconfd.a
#   client/*.c but main.c -> $(B)/libclient.a
#   tests/unit/test_X.c   -> $(B)/tests/test_X  (linked against all of them)
#
# `make` builds the release programs in build/; `make test` builds a second
# tree with ASan and UBSan in build/asan/ and runs every test against it.

PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc/conference
UNITDIR  ?= /lib/systemd/system

SAN ?= 0
# V=1 shows every command.
ifeq ($(V),1)
Q :=
else
Q := @
endif
ifeq ($(SAN),1)
B ?= build/asan
else
B ?= build
endif

CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    := libevent libevent_openssl libevent_pthreads libsrtp2 opus libsodium \
           inih sqlite3 jansson openssl sndfile libsystemd

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
        -Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
        -Wwrite-strings -Wundef -Wvla -Wimplicit-fallthrough \
        -Wmissing-declarations -Wredundant-decls -Wnested-externs

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -fstack-protector-strong $(WARN) \
           -Icommon $(PKG_CFLAGS) -MMD -MP
LDFLAGS += -Wl,--as-needed -Wl,-z,relro -Wl,-z,now
LDLIBS  += $(PKG_LIBS) -lm -lpthread

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  += -D_FORTIFY_SOURCE=2
endif

COMMON_SRC := $(wildcard common/*.c)
MGMTD_SRC  := $(filter-out mgmtd/main.c,$(wildcard mgmtd/*.c))
CONFD_SRC  := $(filter-out confd/main.c,$(wildcard confd/*.c))
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
TOOL_SRC   := $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIBCOMMON := $(B)/libcommon.a
LIBMGMTD  := $(B)/libmgmtd.a
LIBCONFD  := $(B)/libconfd.a
LIBCLIENT := $(B)/libclient.a
ALL_LIBS  := $(LIBMGMTD) $(LIBCONFD) $(LIBCLIENT) $(LIBCOMMON)

PROGS := $(B)/mgmtd $(B)/confd $(B)/confcli
UNITS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
TOOLS := $(patsubst tests/tools/%.c,$(B)/tests/%,$(TOOL_SRC)) $(B)/cfgdoc

.SECONDARY:
.PHONY: all test tests deps install docs check-docs demo bench bench-flood soak \
        clean
all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
$(LIBMGMTD):  $(call obj,$(MGMTD_SRC))
$(LIBCONFD):  $(call obj,$(CONFD_SRC))
$(LIBCLIENT): $(call obj,$(CLIENT_SRC))
$(B)/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)$(if $^,$(AR) rcs $@ $^,$(AR) rcs $@)

$(B)/mgmtd: $(B)/obj/mgmtd/main.o $(LIBMGMTD) $(LIBCOMMON)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/confd: $(B)/obj/confd/main.o $(LIBCONFD) $(LIBCOMMON)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/confcli: $(B)/obj/client/main.o $(LIBCLIENT) $(LIBCOMMON)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/cfgdoc: $(B)/obj/tools/cfgdoc.o $(ALL_LIBS)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(B)/obj/tests/unit/check.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/tests/%: $(B)/obj/tests/tools/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

tests: $(PROGS) $(UNITS) $(TOOLS)

# Installs missing Debian packages when run as root, else says what to run.
deps:
	@sh tools/deps.sh

# The sanitizer build is a separate tree so that it never mixes with the
# release objects; the runner prints "N passed, N failed" last.
test: deps
	$(MAKE) SAN=1 tests
	@$(MAKE) --no-print-directory B=build check-docs
	bash tests/run build/asan

# The example INI files and the option sections of the INI man pages are
# generated from the option tables; `make docs` refreshes them and the test
# suite fails when a committed copy has drifted.
GENERATED := etc/mgmtd.ini etc/confd.ini docs/mgmtd.ini.5 docs/confd.ini.5
docs: $(B)/cfgdoc
	$(B)/cfgdoc ini mgmtd > etc/mgmtd.ini
	$(B)/cfgdoc ini confd > etc/confd.ini
	$(B)/cfgdoc man mgmtd < docs/mgmtd.ini.5.in > docs/mgmtd.ini.5
	$(B)/cfgdoc man confd < docs/confd.ini.5.in > docs/confd.ini.5
check-docs: $(B)/cfgdoc
	@$(B)/cfgdoc ini mgmtd | cmp -s - etc/mgmtd.ini && \
	 $(B)/cfgdoc ini confd | cmp -s - etc/confd.ini && \
	 $(B)/cfgdoc man mgmtd < docs/mgmtd.ini.5.in | cmp -s - docs/mgmtd.ini.5 && \
	 $(B)/cfgdoc man confd < docs/confd.ini.5.in | cmp -s - docs/confd.ini.5 || \
	 { echo "generated files are out of date: run 'make docs'" >&2; exit 1; }

# A real conference on 127.0.0.1: both daemons and three participants.
demo: deps
	$(MAKE) --no-print-directory all tests
	python3 tools/demo.py

# How many participants confd mixes on one core, with the release build;
# the method is in docs/performance.md.  BENCH_QUICK=1: about two minutes.
bench: deps
	$(MAKE) --no-print-directory all tests
	python3 tools/bench.py

# How many hostile datagrams a second confd sheds while its conferences'
# audio stays clean; the method is in docs/reliability.md.  BENCH_QUICK=1:
# about three minutes.
bench-flood: deps
	$(MAKE) --no-print-directory all tests
	python3 tools/flood.py

# An hour of churn under ASan: memory, the mixing clock, leaks.
soak: deps
	$(MAKE) --no-print-directory SAN=1 tests
	$(MAKE) --no-print-directory tests
	python3 tools/soak.py

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(B)/mgmtd $(B)/confd $(DESTDIR)$(SBINDIR)
	install -m 755 $(B)/confcli $(DESTDIR)$(BINDIR)
	# They hold secrets: readable by root (and the group) only.
	install -m 640 etc/mgmtd.ini etc/confd.ini $(DESTDIR)$(SYSCONFDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    etc/mgmtd.service > $(DESTDIR)$(UNITDIR)/mgmtd.service
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    etc/confd@.service > $(DESTDIR)$(UNITDIR)/confd@.service
	install -m 644 docs/confcli.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 docs/mgmtd.ini.5 docs/confd.ini.5 $(DESTDIR)$(MANDIR)/man5
	install -m 644 docs/mgmtd.8 docs/confd.8 $(DESTDIR)$(MANDIR)/man8

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# ---- Fuzzing ------------------------------------------------------------
# libFuzzer targets for the parsers of untrusted input (tests/fuzz/README.md):
#   tests/fuzz/fuzz_X.c -> $(FUZZ_B)/fuzz_X
# built with clang into a tree of their own, from the same sources as the
# programs, with coverage instrumentation, ASan and UBSan.
#   make fuzz            each target FUZZ_SECONDS long (FUZZ_TARGETS picks
#                        some); new inputs go to $(FUZZ_B)/corpus-new/X/,
#                        crashes to tests/fuzz/crashes/X/
#   make fuzz-regress    each over its committed corpus and crashes once,
#                        then FUZZ_REGRESS_SECONDS of fuzzing; `make test`
#                        runs it through tests/e2e/test_fuzz.py
#   make fuzz-merge      adds the inputs of corpus-new/X/ that reach new
#                        code to tests/fuzz/corpus/X/
FUZZ_CC      ?= clang
FUZZ_B       ?= build/fuzz
FUZZ_SECONDS ?= 300
FUZZ_REGRESS_SECONDS ?= 10
FUZZ_TIMEOUT ?= 10
FUZZ_CFLAGS  ?= -O1 -g
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
# The gcc builds hold the project's sources to -Werror: here clang's own
# extra warnings are shown but do not stop the fuzzers being built.  The
# fuzz targets themselves are held to -Werror.
FUZZ_WARN    := $(WARN)
FUZZ_ALL_CFLAGS := $(FUZZ_CFLAGS) -std=c11 -D_GNU_SOURCE $(FUZZ_WARN) \
                -Icommon $(PKG_CFLAGS) -MMD -MP $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link

FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZERS      := $(addprefix $(FUZZ_B)/,$(FUZZ_NAMES))
fuzzobj = $(patsubst %.c,$(FUZZ_B)/obj/%.o,$(1))
FUZZ_LIBS    := $(FUZZ_B)/libconfd.a $(FUZZ_B)/libmgmtd.a \
                $(FUZZ_B)/libclient.a $(FUZZ_B)/libcommon.a
# The libraries a fuzzer links, in link order: all of them unless it says
# otherwise, so that one module half-way through a change elsewhere does
# not keep the others from being built.
FUZZ_LIBS_fuzz_rtp     := common
FUZZ_LIBS_fuzz_rtcp    := common
FUZZ_LIBS_fuzz_srtp_rx := common
FUZZ_LIBS_fuzz_jbuf    := common
FUZZ_LIBS_fuzz_cfg     := confd common
FUZZ_LIBS_fuzz_acode   := common
FUZZ_LIBS_fuzz_api     := mgmtd common
FUZZ_LIBS_fuzz_feed    := confd common
FUZZ_LIBS_fuzz_dlr     := mgmtd common
fuzz_libs = $(patsubst %,$(FUZZ_B)/lib%.a,\
            $(or $(FUZZ_LIBS_$(1)),confd mgmtd client common))

# The largest input worth trying: a datagram as confd reads it (1500
# bytes, plus the 3 bytes of fuzz_srtp_rx's own header), a program of
# jitter-buffer operations, a configuration file, an API request body (one
# with a list over its limit fits), a feed message of a few conferences,
# a delivery report's request target (Kannel's are a few hundred bytes;
# 2048 leaves room for a long SMS centre reply, all of it %XX); 4096 for
# the others.
FUZZ_MAX_LEN_fuzz_rtp     := 1500
FUZZ_MAX_LEN_fuzz_rtcp    := 1500
FUZZ_MAX_LEN_fuzz_srtp_rx := 1503
FUZZ_MAX_LEN_fuzz_jbuf    := 2048
FUZZ_MAX_LEN_fuzz_cfg     := 8192
FUZZ_MAX_LEN_fuzz_api     := 8192
FUZZ_MAX_LEN_fuzz_feed    := 16384
FUZZ_MAX_LEN_fuzz_dlr     := 2048
fuzz_max_len = $(or $(FUZZ_MAX_LEN_$(1)),4096)
fuzz_dict = $(if $(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict)
# The committed corpus of a target, when it has one, and every input it
# has kept: seeds and crashes.
fuzz_corpus = $(wildcard tests/fuzz/corpus/$(1))
fuzz_inputs = $(wildcard tests/fuzz/corpus/$(1)/* tests/fuzz/crashes/$(1)/*)

.PHONY: fuzz fuzz-build fuzz-regress fuzz-merge \
        $(addprefix fuzz-run-,$(FUZZ_NAMES)) \
        $(addprefix fuzz-regress-,$(FUZZ_NAMES)) \
        $(addprefix fuzz-merge-,$(FUZZ_NAMES))

$(FUZZ_B)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -c -o $@ $<
$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -Wno-error -c -o $@ $<

$(FUZZ_B)/libcommon.a: $(call fuzzobj,$(COMMON_SRC))
$(FUZZ_B)/libmgmtd.a:  $(call fuzzobj,$(MGMTD_SRC))
$(FUZZ_B)/libconfd.a:  $(call fuzzobj,$(CONFD_SRC))
$(FUZZ_B)/libclient.a: $(call fuzzobj,$(CLIENT_SRC))
$(FUZZ_LIBS):
	@mkdir -p $(dir $@)
	@rm -f $@
	$(Q)$(if $^,$(AR) rcs $@ $^,$(AR) rcs $@)

$(foreach n,$(FUZZ_NAMES),$(eval $(FUZZ_B)/$(n): $(call fuzz_libs,$(n))))
$(FUZZERS): $(FUZZ_B)/%: $(FUZZ_B)/obj/tests/fuzz/%.o
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ \
	    $(LDLIBS)

fuzz-build: $(FUZZERS)

# Without -k the first target that crashes ends the run.
fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

$(addprefix fuzz-run-,$(FUZZ_NAMES)): fuzz-run-%: $(FUZZ_B)/%
	@mkdir -p $(FUZZ_B)/corpus-new/$* tests/fuzz/crashes/$*
	$(FUZZ_B)/$* -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(call fuzz_max_len,$*) -timeout=$(FUZZ_TIMEOUT) \
	    -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/$*/ \
	    $(call fuzz_dict,$*) $(FUZZ_B)/corpus-new/$* \
	    $(call fuzz_corpus,$*)

fuzz-regress: $(addprefix fuzz-regress-,$(FUZZ_TARGETS))

# The first run replays every kept input, file by file so that a failure
# names its file, without -max_len, which would cut a long input short (no
# input at all would start an endless run: -runs=0 runs the empty one).
# The second fuzzes from the corpus into a scratch directory and keeps any
# crash it finds as a regression input.
$(addprefix fuzz-regress-,$(FUZZ_NAMES)): fuzz-regress-%: $(FUZZ_B)/%
	@rm -rf $(FUZZ_B)/corpus-regress/$* $(FUZZ_B)/replay/$*
	@mkdir -p $(FUZZ_B)/corpus-regress/$* $(FUZZ_B)/replay/$* \
	    tests/fuzz/crashes/$*
	$(FUZZ_B)/$* -timeout=$(FUZZ_TIMEOUT) \
	    -artifact_prefix=$(FUZZ_B)/replay/$*/ \
	    $(or $(call fuzz_inputs,$*),-runs=0)
	$(FUZZ_B)/$* -max_total_time=$(FUZZ_REGRESS_SECONDS) \
	    -max_len=$(call fuzz_max_len,$*) -timeout=$(FUZZ_TIMEOUT) \
	    -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/$*/ \
	    $(call fuzz_dict,$*) $(FUZZ_B)/corpus-regress/$* \
	    $(call fuzz_corpus,$*)

fuzz-merge: $(addprefix fuzz-merge-,$(FUZZ_TARGETS))

$(addprefix fuzz-merge-,$(FUZZ_NAMES)): fuzz-merge-%: $(FUZZ_B)/%
	@mkdir -p $(FUZZ_B)/corpus-new/$* tests/fuzz/corpus/$*
	$(FUZZ_B)/$* -merge=1 -max_len=$(call fuzz_max_len,$*) \
	    -timeout=$(FUZZ_TIMEOUT) tests/fuzz/corpus/$* \
	    $(FUZZ_B)/corpus-new/$*
	@du -sh tests/fuzz/corpus/$*

-include $(shell find $(FUZZ_B)/obj -name '*.d' 2>/dev/null)
