# SPDX-License-Identifier: MIT
# collect: one non-recursive Makefile. `make`, `make deps`, `make run`, `make test`,
# `make bench`, `make install DESTDIR=… prefix=…`, `make uninstall`, `make deb`, `make rpm`,
# `make clean`; knobs SANITIZE=, V=1, DEVELOPER=1 (strict warnings, -Werror), NO_LIBSYSTEMD=1,
# NO_DEPS=1 (`make test` without `make deps`: package builds, no apt-get or network).

prefix        ?= /usr/local
bindir        ?= $(prefix)/bin
datadir       ?= $(prefix)/share
mandir        ?= $(datadir)/man
sysconfdir    ?= /etc
localstatedir ?= /var
unitdir       ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),$(prefix)/lib/systemd/system)
tmpfilesdir   ?= $(or $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null),$(prefix)/lib/tmpfiles.d)
bashcompdir   ?= $(or $(shell pkg-config --variable=completionsdir bash-completion 2>/dev/null),$(datadir)/bash-completion/completions)
zshcompdir    ?= $(datadir)/zsh/vendor-completions
CC            ?= cc
CFLAGS        ?= -O2 -g
PKG_CONFIG    ?= pkg-config
INSTALL       ?= install
PYTHON        ?= /usr/bin/python3
VERSION       := 0.1.0
-include config.mak

# One build: `make install` installs the binary `make test` ran. Its test hooks
# (COLLECT_TEST_NOW, failure injection, short portal back-offs) are inert unless
# the environment says COLLECT_TESTING=1, which only the test suites set
# (include/testhook.h).
ifdef SANITIZE
BUILD ?= build/sanitize
else
BUILD ?= build
endif

PKGS := yaml-0.1 libarchive libcurl zlib jansson libpcre2-8 libcrypto libmicrohttpd libdeflate
ifndef NO_LIBSYSTEMD
PKGS += libsystemd
BASIC_CFLAGS += -DHAVE_LIBSYSTEMD=1
endif

BASIC_CFLAGS += -std=gnu11 -D_GNU_SOURCE -Iinclude -MMD -MP -DCOLLECT_VERSION='"$(VERSION)"' \
		-DCOLLECT_DATADIR='"$(datadir)/collect"' -DCOLLECT_SYSCONFDIR='"$(sysconfdir)/collect"' \
		-DCOLLECT_SRCDIR='"$(CURDIR)"' \
		-Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-Wpointer-arith -Wwrite-strings -Wvla -Wundef -Wimplicit-fallthrough -fno-common
PKG_CFLAGS   := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libcurl and libmicrohttpd are loaded or linked only where used: libcurl via
# agent/ticket/curl-dl.c (dlopen on first use, to keep the resident set small).
LINK_PKGS    := $(filter-out libcurl libmicrohttpd,$(PKGS))
LIBS         += -Wl,--as-needed $(shell $(PKG_CONFIG) --libs $(LINK_PKGS) 2>/dev/null) -lm -ldl -lpthread \
		-lstdc++
MHD_LIBS     := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)

ifdef DEVELOPER
DEV_CFLAGS += -Werror
endif
ifdef SANITIZE
BASIC_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS      += -fsanitize=$(SANITIZE)
endif
TEST_CFLAGS = -DCOLLECT_TESTING=1
ALL_CFLAGS = $(DEV_CFLAGS) $(BASIC_CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $(CPPFLAGS) $(CFLAGS)

ifndef V
QUIET_CC   = @echo '   CC     ' $@;
QUIET_LINK = @echo '   LINK   ' $@;
QUIET_AR   = @echo '   AR     ' $@;
endif

# Sources: every agent/<layer>/*.c (agent/main.c only in the binary), every collectors/*/*.c.
AGENT_SRCS     := $(sort $(wildcard agent/*/*.c))
COLLECTOR_SRCS := $(sort $(wildcard collectors/*/*.c))
LIB_OBJS       := $(patsubst %.c,$(BUILD)/%.o,$(AGENT_SRCS) $(COLLECTOR_SRCS))
MAIN_OBJ       := $(BUILD)/agent/main.o
UNIT_SRCS      := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
COLL_TEST_SRCS := $(sort $(wildcard tests/collectors/test-*.c))
COLL_TEST_BINS := $(patsubst tests/collectors/%.c,$(BUILD)/tests/%,$(COLL_TEST_SRCS))
MOCK_OBJS      := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard tests/mock/*.c)))
FUZZ_SRCS      := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_REPLAY    := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%-replay,$(FUZZ_SRCS))
ALL_SRCS       := $(AGENT_SRCS) agent/main.c $(COLLECTOR_SRCS) $(UNIT_SRCS) $(COLL_TEST_SRCS) \
		  $(wildcard tests/mock/*.c) $(FUZZ_SRCS) tests/fuzz/replay.c
DEPS           := $(patsubst %.c,$(BUILD)/%.d,$(ALL_SRCS))

# The library archive only lets test binaries pull in the objects they use.
LIBCOLLECT := $(BUILD)/libcollect.a

all: $(BUILD)/collect collect

collect: $(BUILD)/collect
	@ln -sf $(BUILD)/collect collect

# The flags every object is built with, without the per-directory -I options:
# those are target-specific, and would otherwise reach this file through
# whichever object asked first, rebuilding everything when the next one asks.
BUILD_FLAGS_SIG = $(CC) $(DEV_CFLAGS) $(BASIC_CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
$(BUILD)/.build-flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(BUILD_FLAGS_SIG)' | cmp -s - $@ || echo '$(BUILD_FLAGS_SIG)' > $@

$(BUILD)/%.o: %.c $(BUILD)/.build-flags
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/collectors/%.o: collectors/%.c $(BUILD)/.build-flags
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(filter-out -Iagent,$(ALL_CFLAGS)) -c -o $@ $<

$(LIBCOLLECT): $(LIB_OBJS)
	$(QUIET_AR)rm -f $@ && ar rcs $@ $^

$(BUILD)/collect: $(MAIN_OBJ) $(LIB_OBJS)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB_OBJS) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIBCOLLECT)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $< $(LIBCOLLECT) $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/tests/collectors/%.o $(MOCK_OBJS) $(LIBCOLLECT)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $< $(MOCK_OBJS) $(LIBCOLLECT) $(LIBS) -lcmocka

$(BUILD)/tests/%-replay: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(LIBCOLLECT)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/unit/%.o $(BUILD)/tests/collectors/%.o $(BUILD)/tests/mock/%.o $(BUILD)/tests/fuzz/%.o: \
	ALL_CFLAGS += -Iagent -Icollectors -Itests/mock

$(BUILD)/agent/%.o: ALL_CFLAGS += -Iagent

.PHONY: style check-headers all deps run test check unit-test collector-test integration-test fuzz-replay bench \
	install uninstall deb rpm clean check-banned check-complexity check-layers check-style fuzz FORCE

deps:
	@sh packaging/install-deps.sh

# `make run`: install what is missing, build, collect on this host with the built-in defaults.
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p $(BUILD)/run-output $(BUILD)/run-state $(BUILD)/run-spool
	./$(BUILD)/collect --open-ticket --yes --allow-incomplete --since 24h \
		--output $(BUILD)/run-output --state-dir $(BUILD)/run-state --spool-dir $(BUILD)/run-spool

unit-test: $(UNIT_BINS) $(COLL_TEST_BINS)
	@failed=""; for t in $(UNIT_BINS) $(COLL_TEST_BINS); do \
		echo "== $$t"; COLLECT_TESTING=1 COLLECT_SRCDIR=$(CURDIR) $$t || failed="$$failed $$t"; done; \
	if [ -n "$$failed" ]; then echo "unit tests failed:$$failed"; exit 1; fi

fuzz-replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_REPLAY); do \
		name=$$(basename $$t -replay); echo "== $$name corpus"; \
		$$t tests/fuzz/corpus/$$name; done

integration-test: $(BUILD)/collect
	COLLECT_TESTING=1 COLLECT_BIN=$(CURDIR)/$(BUILD)/collect COLLECT_SANITIZED=$(if $(SANITIZE),1,) \
		$(PYTHON) -m pytest -q tests/integration

# What clang-format would change in the tree (a diff and a count; STYLE_SINCE=REV:
# only the files changed since REV). check-style fails on any change (part of test).
style:
	@sh tests/style-diff.sh $(STYLE_SINCE)

check-style:
	@STYLE_CHECK=1 sh tests/style-diff.sh

# Every header compiles on its own (include what you use).
check-headers:
	@set -e; for h in include/*.h agent/*/*.h collectors/*/*.h; do \
		printf '#include "%s"\n' "$$(case $$h in agent/*) echo $${h#agent/};; *) basename $$h;; esac)" | \
		$(CC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) -Iagent -I$$(dirname $$h) -fsyntax-only -x c - \
		|| { echo "header does not compile alone: $$h"; exit 1; }; done

# Function length and complexity (pmccabe): over 120 lines or a cyclomatic
# complexity over 40 fails, unless tests/complexity-allow.txt names it.
check-complexity:
	@sh tests/check-complexity.sh

# The include graph of agent/ and collectors/: no circle, at most 11 layers, at
# most 10 dependencies against the folder order (README "Hacking").
check-layers:
	@$(PYTHON) tests/check-layers.py

check-banned:
	@! grep -nE '(^|[^a-z_.>])(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|system|popen)\(' \
		agent/*.c agent/*/*.c collectors/*/*.c || (echo 'banned function used' && false)
	@! grep -nE 'fopen\([^)]*"[rwa]\+?"\)' agent/*.c agent/*/*.c collectors/*/*.c || \
		(echo 'fopen without "e"' && false)

test: $(if $(NO_DEPS),,deps)
	@$(MAKE) --no-print-directory all check-banned check-headers check-complexity check-layers \
		check-style
	@$(MAKE) --no-print-directory -k unit-test fuzz-replay integration-test

check: test

$(BUILD)/tests/bench/%.o: ALL_CFLAGS += -Iagent
$(BUILD)/tests/bench-redact: $(BUILD)/tests/bench/bench-redact.o $(LIBCOLLECT)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

bench: all $(BUILD)/tests/bench-redact
	@sh tests/bench/run.sh $(BUILD)/collect $(BUILD)/tests/bench-redact

fuzz:
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
		clang -g -O1 -fsanitize=fuzzer,address -std=gnu11 -D_GNU_SOURCE -DCOLLECT_TESTING=1 \
		$(filter -D%,$(BASIC_CFLAGS)) \
		-Iinclude -Iagent -Icollectors $(PKG_CFLAGS) $$f $(AGENT_SRCS) $(COLLECTOR_SRCS) \
		-o $(BUILD)/fuzz/$$n $(LIBS) || exit 1; done

# What `make install` puts in place, relative to DESTDIR; `make uninstall` removes
# exactly these. The configuration is installed only when there is none yet, and
# removed only when it is still the shipped one.
MAN5         := packaging/man/collect.yaml.5 packaging/man/collect-policies.5
MAN8         := packaging/man/collect.8
UNITS        := $(wildcard packaging/systemd/*.service packaging/systemd/*.timer packaging/systemd/*.path)
INST_FILES    = $(bindir)/collect $(tmpfilesdir)/collect.conf \
		$(addprefix $(unitdir)/,$(notdir $(UNITS))) \
		$(addprefix $(mandir)/man5/,$(notdir $(MAN5))) $(addprefix $(mandir)/man8/,$(notdir $(MAN8))) \
		$(bashcompdir)/collect $(zshcompdir)/_collect

install: all
	$(INSTALL) -d -m 755 $(DESTDIR)$(bindir) $(DESTDIR)$(datadir)/collect/policies \
		$(DESTDIR)$(sysconfdir)/collect/policies.d $(DESTDIR)$(unitdir) \
		$(DESTDIR)$(tmpfilesdir) $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
		$(DESTDIR)$(bashcompdir) $(DESTDIR)$(zshcompdir)
	$(INSTALL) -m 755 $(BUILD)/collect $(DESTDIR)$(bindir)/collect
	$(INSTALL) -m 644 policies/*.yaml $(DESTDIR)$(datadir)/collect/policies/
	@if [ -e $(DESTDIR)$(sysconfdir)/collect/collect.yaml ]; then \
		echo "keeping $(DESTDIR)$(sysconfdir)/collect/collect.yaml"; else \
		echo "$(INSTALL) -m 644 packaging/collect.yaml $(DESTDIR)$(sysconfdir)/collect/collect.yaml"; \
		$(INSTALL) -m 644 packaging/collect.yaml $(DESTDIR)$(sysconfdir)/collect/collect.yaml; fi
	$(INSTALL) -m 644 $(UNITS) $(DESTDIR)$(unitdir)/
	sed -i 's|/usr/bin/collect|$(bindir)/collect|' $(addprefix $(DESTDIR)$(unitdir)/,$(notdir $(UNITS)))
	$(INSTALL) -m 644 packaging/tmpfiles.d/collect.conf $(DESTDIR)$(tmpfilesdir)/collect.conf
	$(INSTALL) -m 644 $(MAN5) $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 644 $(MAN8) $(DESTDIR)$(mandir)/man8/
	$(INSTALL) -m 644 packaging/completion/collect.bash $(DESTDIR)$(bashcompdir)/collect
	$(INSTALL) -m 644 packaging/completion/_collect $(DESTDIR)$(zshcompdir)/_collect

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	rm -f $(addprefix $(DESTDIR)$(datadir)/collect/policies/,$(notdir $(wildcard policies/*.yaml)))
	-rmdir $(DESTDIR)$(datadir)/collect/policies $(DESTDIR)$(datadir)/collect 2>/dev/null
	@if cmp -s packaging/collect.yaml $(DESTDIR)$(sysconfdir)/collect/collect.yaml; then \
		rm -f $(DESTDIR)$(sysconfdir)/collect/collect.yaml; \
		rmdir $(DESTDIR)$(sysconfdir)/collect/policies.d $(DESTDIR)$(sysconfdir)/collect 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(sysconfdir)/collect/collect.yaml ]; then \
		echo "keeping the edited $(DESTDIR)$(sysconfdir)/collect/collect.yaml"; fi

# `make deb`: the tree as git knows it (tracked and new, not ignored) with
# packaging/debian as debian/, built by dpkg-buildpackage in build/deb/.
DEB_DIR := build/deb/collect-$(VERSION)
deb:
	rm -rf build/deb && mkdir -p $(DEB_DIR)
	git ls-files -z -co --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)
	cp -r packaging/debian $(DEB_DIR)/debian
	cd $(DEB_DIR) && dpkg-buildpackage -us -uc -b $(DEB_FLAGS)
	@ls -l build/deb/*.deb

# `make rpm`: a source tarball and packaging/rpm/collect.spec in build/rpm/.
# On a system whose rpm database holds no packages (Debian), BuildRequires
# cannot be checked: RPMBUILD_FLAGS defaults to --nodeps there.
RPM_TOP       := $(CURDIR)/build/rpm
RPMBUILD_FLAGS ?= $(if $(wildcard /etc/debian_version),--nodeps,)
rpm:
	rm -rf build/rpm && mkdir -p build/rpm/SOURCES build/rpm/collect-$(VERSION)
	git ls-files -z -co --exclude-standard | \
		xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C build/rpm/collect-$(VERSION)
	tar -C build/rpm -czf build/rpm/SOURCES/collect-$(VERSION).tar.gz collect-$(VERSION)
	rpmbuild -bb --define '_topdir $(RPM_TOP)' $(RPMBUILD_FLAGS) packaging/rpm/collect.spec
	@find build/rpm/RPMS -name '*.rpm' -exec ls -l {} +

clean:
	rm -rf build collect

FORCE:

.SECONDARY:

-include $(DEPS)

$(BUILD)/agent/policy/builtin-policies.o: $(wildcard policies/*.yaml)
