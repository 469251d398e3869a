# preflight — see README.md. `make`, `make check`, `make demo`, `make install`.
VERSION := 0.1.0
CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
# MariaDB Connector/C's headers (types only: the mysql check loads the library with dlopen()).
MARIADB_INCLUDE := $(patsubst -I%,%,$(shell pkg-config --cflags-only-I libmariadb 2>/dev/null))
CPPFLAGS += -I. -isystem $(or $(MARIADB_INCLUDE),/usr/include/mariadb) -D_GNU_SOURCE -DPREFLIGHT_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS) -MMD -MP
# Only libcap is linked: hiredis and libcurl are loaded with dlopen() by the checks that use them,
# so user/port/cap start as fast as a program that cannot speak to Redis or HTTP.
LDLIBS += -lcap

# Sanitized objects never share a directory with plain ones (make does not track flags): with
# SANITIZE=1 the build directory is $(BUILD)-san (build-san by default, build-x-san for
# BUILD=build-x), unless the BUILD given already ends in -san.
ifeq ($(SANITIZE),1)
ifeq ($(filter %-san,$(BUILD)),)
override BUILD := $(BUILD)-san
endif
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

CORE_SRCS := $(filter-out core/main.c,$(wildcard core/*.c))
CHECK_SRCS := $(wildcard checks/*.c checks/*/*.c)
# unit/: `preflight why` and --as-unit, which read and start systemd units through libsystemd.
UNIT_SRCS := $(wildcard unit/*.c unit/*/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS) $(CHECK_SRCS) $(UNIT_SRCS))
TEST_SRCS := $(wildcard tests/check_*.c) tests/main.c tests/find_socket.c
TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRCS))
CHECK_NAMES := user port cap redis http tcp postgres mysql file dns limit sysctl exec

BIN := $(BUILD)/preflight
UNIT := $(BUILD)/check_runner

.PHONY: all check unit integration demo deps clean install
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libpreflight.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/core/main.o $(BUILD)/libpreflight.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
	@for c in $(CHECK_NAMES); do ln -sf preflight $(BUILD)/preflight-$$c; done

# The unit-test runner finds its suites from the file names: tests/check_AREA.c exports
# suite_AREA().
$(BUILD)/tests/suites.inc: $(wildcard tests/check_*.c)
	@mkdir -p $(dir $@)
	@for f in $(sort $(notdir $(basename $(wildcard tests/check_*.c)))); do \
		echo "SUITE($${f#check_})"; done > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/main.o: tests/main.c $(BUILD)/tests/suites.inc
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(BUILD)/tests $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(shell pkg-config --cflags check 2>/dev/null) -c -o $@ $<

$(UNIT): $(TEST_OBJS) $(BUILD)/libpreflight.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs check)

deps:
	@packaging/deps.sh

unit: $(UNIT)
	$(UNIT)

integration: $(BIN)
	PREFLIGHT=$(abspath $(BIN)) tests/integration/run.sh

# Every stage runs, even after one failed, each timed; the last line counts the stages
# ("check: 9 passed, 0 failed"). CHECK_STAGES="unit integration" runs a few of them.
CHECK_STAGES ?= unit integration systemd package-check lint fuzz sanitize valgrind
check: deps
	@failed=""; passed=0; \
	for stage in $(CHECK_STAGES); do \
		echo "==== make $$stage"; start=$$(date +%s); \
		if $(MAKE) --no-print-directory BUILD=$(BUILD) $$stage; then \
			passed=$$((passed + 1)); result=passed; \
		else \
			failed="$$failed $$stage"; result=FAILED; \
		fi; \
		echo "==== make $$stage: $$result in $$(($$(date +%s) - start))s"; \
	done; \
	[ -z "$$failed" ] || echo "check: failed:$$failed"; \
	echo "check: $$passed passed, $$(echo $$failed | wc -w) failed"; \
	[ -z "$$failed" ]

demo: deps $(BIN)
	$(BIN) run configs/demo.conf

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- end-to-end tests under systemd, install and packages (tests/systemd/, packaging/) ----------
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/preflight
COMPLETIONSDIR ?= $(PREFIX)/share/bash-completion/completions

.PHONY: systemd package-check deb rpm
# Boots systemd 252 in private namespaces (as root), once for each suite tests/systemd/test_systemd*.sh
# (test_systemd.sh runs the units in tests/systemd/units/), and runs every suite even when one fails.
SYSTEMD_SUITES := $(sort $(wildcard tests/systemd/test_systemd*.sh))
systemd: $(BIN)
	@status=0; for suite in $(SYSTEMD_SUITES); do \
		PREFLIGHT=$(abspath $(BIN)) $$suite || status=1; \
	done; exit $$status

# make install, the man page against the binary, completion, make deb (lintian, dpkg -i into an
# overlay), make rpm.
package-check: $(BIN)
	PREFLIGHT=$(abspath $(BIN)) BUILD=$(BUILD) tests/systemd/test_packaging.sh

# The binary, a preflight-CHECK symlink and man page link per check, the man page, bash
# completion (also under each preflight-CHECK name), the example chains and units.
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONSDIR) \
		$(DESTDIR)$(DOCDIR)/examples/units
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/preflight
	install -m 644 packaging/preflight.1 $(DESTDIR)$(MANDIR)/man1/preflight.1
	install -m 644 packaging/bash-completion/preflight $(DESTDIR)$(COMPLETIONSDIR)/preflight
	for c in $(CHECK_NAMES); do \
		ln -sf preflight $(DESTDIR)$(BINDIR)/preflight-$$c && \
		ln -sf preflight.1 $(DESTDIR)$(MANDIR)/man1/preflight-$$c.1 && \
		ln -sf preflight $(DESTDIR)$(COMPLETIONSDIR)/preflight-$$c || exit 1; \
	done
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	for f in $(wildcard configs/*.conf); do \
		install -D -m 644 $$f $(DESTDIR)$(DOCDIR)/examples/chains/$${f#configs/} || exit 1; \
	done
	install -m 644 packaging/units/*.service packaging/units/*.socket $(DESTDIR)$(DOCDIR)/examples/units/

# A .deb of this tree, built with dpkg-deb (no debian/ source package): packaging/build-deb.sh.
deb:
	packaging/build-deb.sh $(VERSION) $(BUILD)

# The RPM from packaging/preflight.spec, with rpmbuild (Debian's rpm package has it).
rpm:
	packaging/build-rpm.sh $(VERSION) $(BUILD)

# ---- benchmarks (tests/bench/): preflight against ss, redis-cli, curl and /bin/true ------------
# Installs what it lacks (the deps target: packaging/deps.sh has ss, redis-server, redis-cli and
# curl too), starts its own load, prints the table of medians and ratios (also written to
# $(BUILD)/bench/results.md). About 3-5 minutes; BENCH_REPEAT=3 runs three times as many
# rounds of each comparison (BENCH_REPEAT=0.2 a fifth, to try the benchmark itself out).
# BENCH_ONLY=postgres,deadlines.postgres runs those sections alone (run.py --help lists them).
BENCH_REPEAT ?= 1
BENCH_ONLY ?=
BENCH_NAMES := spawn_timer socket_load no_netlink
BENCH_HELPERS := $(addprefix $(BUILD)/bench/,$(BENCH_NAMES))

.PHONY: bench
# Built without SANITIZE's flags: the helpers time and load, they are not under test.
$(BUILD)/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=c11 $(WARNINGS) -O2 -o $@ $<

bench: deps
	$(MAKE) --no-print-directory BUILD=$(BUILD) $(BIN) $(BENCH_HELPERS)
	python3 tests/bench/run.py --preflight $(abspath $(BIN)) --repeat $(BENCH_REPEAT) \
		$(if $(BENCH_ONLY),--only $(BENCH_ONLY)) \
		--helpers $(abspath $(BUILD)/bench) --markdown $(BUILD)/bench/results.md

# ---- hardening: fuzzers, the sanitizer build of the suite, valgrind (tests/fuzz/, tests/valgrind.sh)
# Fuzzers: one libFuzzer target per parser (tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/), built with clang, ASan and UBSan into $(FUZZ_BUILD). `make fuzz` runs
# each for FUZZ_SECONDS (make check: 5); `make fuzz FUZZ_SECONDS=600` is the long run.
FUZZ_CC ?= clang
FUZZ_BUILD ?= $(BUILD)-fuzz
FUZZ_SECONDS ?= 5
FUZZ_SANITIZERS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES := $(sort $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.c))))
FUZZ_BINS := $(addprefix $(FUZZ_BUILD)/,$(FUZZ_NAMES))
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(CORE_SRCS) $(CHECK_SRCS) $(UNIT_SRCS))
# The sanitizer build (gcc, ASan + UBSan + LeakSanitizer) of the unit, integration and systemd
# tests: tests/sanitize.sh.
SAN_BUILD ?= $(BUILD)-san

.PHONY: fuzz fuzz-build sanitize valgrind lint
$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(ALL_CFLAGS) $(FUZZ_SANITIZERS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libpreflight.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libpreflight.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SANITIZERS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS) -lpthread

# The targets' objects are kept (make would delete them as intermediate and rebuild every time).
.SECONDARY: $(patsubst %,$(FUZZ_BUILD)/tests/fuzz/%.o,$(FUZZ_NAMES))
fuzz-build: $(FUZZ_BINS)

# clang comes with deps: the fuzzers are built only once it has run (not beside it under -j).
fuzz: deps
	$(MAKE) --no-print-directory BUILD=$(BUILD) fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

sanitize: deps
	$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(SAN_BUILD) $(SAN_BUILD)/preflight \
		$(SAN_BUILD)/check_runner
	tests/sanitize.sh $(SAN_BUILD)

valgrind: deps $(BIN) $(UNIT)
	PREFLIGHT=$(abspath $(BIN)) UNIT=$(abspath $(UNIT)) tests/valgrind.sh

# Lint: cppcheck over every C file (inline suppressions say why; tests/cppcheck.h stands in for
# <check.h>), the whole tree built with clang -Werror into $(BUILD)-clang (gcc builds it everywhere
# else), and clang-format --dry-run --Werror against .clang-format.
LINT_C := $(wildcard core/*.[ch] checks/*.[ch] checks/*/*.[ch] unit/*.[ch] unit/*/*.[ch] tests/*.[ch] tests/fuzz/*.[ch] tests/bench/*.c)
CLANG_BUILD ?= $(BUILD)-clang
lint: deps
	cppcheck -q --std=c11 --enable=warning,style,performance,portability --inline-suppr \
		--error-exitcode=1 --include=tests/cppcheck.h \
		-I. -D_GNU_SOURCE -DPREFLIGHT_VERSION='"$(VERSION)"' core checks unit tests
	$(MAKE) --no-print-directory CC=clang BUILD=$(CLANG_BUILD) $(CLANG_BUILD)/preflight \
		$(CLANG_BUILD)/check_runner $(addprefix $(CLANG_BUILD)/bench/,$(BENCH_NAMES))
	@if command -v clang-format >/dev/null; then \
		clang-format --dry-run --Werror $(LINT_C) && echo "clang-format: $(words $(LINT_C)) files formatted"; \
	else \
		echo "#### clang-format is not installed: formatting NOT checked (make deps installs it)"; \
	fi

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
