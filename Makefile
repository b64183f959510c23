# pier: plain make, pkg-config for libraries.  Everything builds into build/.
#
#   make            the programs, optimised
#   make asan       the same with AddressSanitizer and UBSan, into build/asan/
#   make test       unit and integration tests (integration needs root)
#   make fuzz       libFuzzer targets (clang), into build/fuzz/
#   make format     clang-format the sources; make format-check to verify

CC       ?= gcc
BUILD    ?= build
PREFIX   ?= /usr/local
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
# Always on, whatever CFLAGS the caller gives.
BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers \
            -D_GNU_SOURCE -fno-strict-aliasing -MMD -MP
# Error paths are cut to fit their buffers on purpose; and a goto over a
# cleanup variable would free garbage (clang refuses it outright).
ifneq ($(findstring clang,$(CC)),clang)
BASE_CFLAGS += -Wno-format-truncation -Wjump-misses-init
endif
SAN      ?=
# pier-runtime starts on every container start: linked statically, so that
# no dynamic loader runs (see README, "Start-up cost").
STATIC   ?= -static

RT_PKGS  := jansson libseccomp libcap
RT_LIBS   := $(shell pkg-config --static --libs $(RT_PKGS))
# pierd runs once: linked dynamically, with what the engine needs.
# libmnl and libnftables: bridge networks, NAT and published ports
DAEMON_PKGS := jansson libmicrohttpd libarchive libcrypto libseccomp libcap libcurl libdeflate \
               libmnl libnftables
# libcurl is opened at the first pull or push (src/image/curl_lazy.c), not linked
DAEMON_LIBS := $(shell pkg-config --libs $(filter-out libcurl,$(DAEMON_PKGS)))
# The CLI starts on every command: static, and JSON its only library.
CLI_LIBS  := $(shell pkg-config --static --libs jansson)
ALL_CFLAGS := $(shell pkg-config --cflags $(RT_PKGS) $(DAEMON_PKGS))

LIB_SRC    := $(wildcard src/lib/*.c)
RT_SRC     := $(wildcard src/runtime/*.c)
RTCLI_SRC  := $(wildcard src/runtime/cli/*.c)
# the daemon: its API, engine, images and networks; main in src/api
API_SRC    := $(wildcard src/api/*.c)
ENGINE_SRC := $(wildcard src/engine/*.c) $(wildcard src/image/*.c) $(wildcard src/network/*.c) \
              $(wildcard src/volume/*.c)
SHIM_SRC   := $(wildcard src/shim/*.c)
INIT_SRC   := $(wildcard src/init/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
FUZZ_SRC   := $(wildcard fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# Each program once its folder has sources.
PROGS := $(BUILD)/pier-runtime $(if $(API_SRC),$(BUILD)/pierd) $(if $(SHIM_SRC),$(BUILD)/pier-shim) \
         $(if $(CLI_SRC),$(BUILD)/pier) $(if $(INIT_SRC),$(BUILD)/pier-init)

all: $(PROGS) $(BUILD)/unit-tests

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(CFLAGS) $(SAN) $(BASE_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# Shared helpers; a static archive, so each program takes only what it uses.
$(BUILD)/libpier.a: $(call obj,$(LIB_SRC))
	@rm -f $@
	@echo "  AR $@"; $(AR) rcs $@ $^

$(BUILD)/libpier-runtime.a: $(call obj,$(RT_SRC))
	@rm -f $@
	@echo "  AR $@"; $(AR) rcs $@ $^

# Docker's default seccomp profile, linked in as data.
$(BUILD)/obj/src/engine/seccomp_default_json.o: src/engine/seccomp_default.json
	@mkdir -p $(dir $@)
	@echo "  LD $@"; cd src/engine && $(LD) -r -b binary -z noexecstack -o $(abspath $@) seccomp_default.json

$(BUILD)/libpier-engine.a: $(call obj,$(ENGINE_SRC)) $(BUILD)/obj/src/engine/seccomp_default_json.o
	@rm -f $@
	@echo "  AR $@"; $(AR) rcs $@ $^

$(BUILD)/pier-runtime: $(call obj,$(RTCLI_SRC)) $(BUILD)/libpier-runtime.a $(BUILD)/libpier.a
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) $(STATIC) -o $@ $^ $(RT_LIBS)

$(BUILD)/pierd: $(call obj,$(API_SRC)) $(BUILD)/libpier-engine.a $(BUILD)/libpier-runtime.a $(BUILD)/libpier.a
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) -o $@ $^ $(DAEMON_LIBS)

# The shim builds the container with the runtime library in-process (no
# exec of pier-runtime) and stays for the container's whole life: static,
# as the runtime is.
$(BUILD)/pier-shim: $(call obj,$(SHIM_SRC)) $(BUILD)/libpier-runtime.a $(BUILD)/libpier.a
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) $(STATIC) -o $@ $^ $(RT_LIBS)

# PID 1 of `run --init` containers: static, libc only.
$(BUILD)/pier-init: $(call obj,$(INIT_SRC))
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) $(STATIC) -o $@ $^

# The CLI but its main, so that unit tests can drive it.
$(BUILD)/libpier-cli.a: $(call obj,$(filter-out src/cli/main.c,$(CLI_SRC)))
	@rm -f $@
	@echo "  AR $@"; $(AR) rcs $@ $^

$(BUILD)/pier: $(call obj,src/cli/main.c) $(BUILD)/libpier-cli.a $(BUILD)/libpier.a
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) $(STATIC) -o $@ $^ $(CLI_LIBS)

$(BUILD)/unit-tests: $(call obj,$(UNIT_SRC)) $(if $(CLI_SRC),$(BUILD)/libpier-cli.a) \
                     $(BUILD)/libpier-engine.a $(BUILD)/libpier-runtime.a $(BUILD)/libpier.a
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) -o $@ $^ $(RT_LIBS) $(DAEMON_LIBS)

# Test programs that drive one part of pierd alone (its DNS server, its
# published ports) for the integration tests: tests/tools/NAME_main.c
# becomes build/test-NAME, underscores as dashes.
TOOL_NAMES := $(patsubst tests/tools/%_main.c,%,$(wildcard tests/tools/*_main.c))
define TOOL_RULE
$(BUILD)/test-$(subst _,-,$(1)): $(call obj,tests/tools/$(1)_main.c) $(BUILD)/libpier-engine.a \
                                 $(BUILD)/libpier.a
	@echo "  LD $$@"; $$(CC) $$(CFLAGS) $$(SAN) -o $$@ $$^ $$(DAEMON_LIBS)
endef
$(foreach t,$(TOOL_NAMES),$(eval $(call TOOL_RULE,$(t))))
all: $(foreach t,$(TOOL_NAMES),$(BUILD)/test-$(subst _,-,$(t)))

# Sanitizers need the dynamic loader, so the asan build is not static.
asan:
	$(MAKE) BUILD=build/asan STATIC= CFLAGS="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang STATIC= CFLAGS="-O1 -g" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined" fuzz-targets

fuzz-targets: $(patsubst fuzz/%.c,$(BUILD)/%,$(FUZZ_SRC))

$(BUILD)/fuzz_%: $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/libpier-engine.a $(BUILD)/libpier-runtime.a \
                 $(BUILD)/libpier.a
	@echo "  LD $@"; $(CC) $(CFLAGS) $(SAN) -fsanitize=fuzzer -o $@ $^ $(RT_LIBS) $(DAEMON_LIBS)

test: all
	tests/run

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/

FORMAT_SRC = $(shell find src tests/unit tests/tools fuzz bench -name '*.[ch]')
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run -Werror $(FORMAT_SRC)

clean:
	rm -rf build

.PHONY: all asan fuzz fuzz-targets test install format format-check clean
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
