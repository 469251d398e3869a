# preflight — see README.md. `make`, `make check`, `make demo`, `make install`.
VERSION := 0.1.0
CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
CPPFLAGS += -I. -D_GNU_SOURCE -DPREFLIGHT_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS) -MMD -MP
# Only libcap is linked: hiredis and libcurl are loaded with dlopen() by the checks that use them,
# so user/port/cap start as fast as a program that cannot speak to Redis or HTTP.
LDLIBS += -lcap

ifeq ($(SANITIZE),1)
BUILD := build-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

CORE_SRCS := $(filter-out core/main.c,$(wildcard core/*.c))
CHECK_SRCS := $(wildcard checks/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS) $(CHECK_SRCS))
TEST_SRCS := $(wildcard tests/check_*.c) tests/main.c
TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRCS))
CHECK_NAMES := user port cap redis http tcp

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
	CK_DEFAULT_TIMEOUT=30 $(UNIT)

integration: $(BIN)
	PREFLIGHT=$(abspath $(BIN)) tests/integration/run.sh

check: deps
	$(MAKE) unit integration

demo: deps $(BIN)
	$(BIN) run configs/demo.conf

clean:
	rm -rf build build-*

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
