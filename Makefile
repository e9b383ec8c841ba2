# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump: one non-recursive Makefile.  `make V=1` shows commands, `make WERROR=0` relaxes warnings,
# `make CC=clang` builds with clang, `make SAN=1` builds with ASan+UBSan.

CC      ?= cc
V       ?= 0
WERROR  ?= 1
SAN     ?= 0
O       ?= build

# ext2fs (e2fsprogs' libext2fs) and libnbd: src/disk reads guests' disk images (docs/guest-disk.md);
# libsystemd: journal entries and sd_notify under a service (docs/service.md);
# libcrypto (OpenSSL): SHA-256 of the files dump/offhost.c copies off the host;
# libvirt and libxml2: src/libvirt talks to libvirtd and reads its domain XML (docs/hvdump-libvirt.md)
PKGS    := jansson libzstd lzo2 zlib ext2fs com_err libnbd libsystemd libcrypto libvirt libvirt-qemu libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || \
		echo -ljansson -lzstd -llzo2 -lz -lext2fs -lcom_err -lnbd -lsystemd -lcrypto -lvirt-qemu -lvirt -lxml2)

CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
           -Wno-unused-parameter
# snprintf() truncation is deliberate in log and message buffers; gcc's heuristic is noise.
cc-option = $(shell $(CC) -Werror $(1) -xc -c -o /dev/null /dev/null >/dev/null 2>&1 && echo $(1))
WARN    += $(call cc-option,-Wno-format-truncation)
ifeq ($(WERROR),1)
WARN    += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -MMD -MP
LIBS    := $(PKG_LIBS) -lpthread

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

# --- sources -------------------------------------------------------------------------------
LIB_SRCS := $(wildcard src/util/*.c src/qemu/*.c src/vm/*.c src/format/*.c src/dump/*.c src/disk/*.c \
		src/libvirt/*.c)
CLI_SRCS := $(wildcard src/cli/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/obj/%.o)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(TOOL_SRCS:tests/tools/%.c=$(O)/tests/tools/%)

.PHONY: all check unit-check clean guest
all: $(O)/hvdump $(UNIT_BINS) $(TOOL_BINS) $(O)/guest/hvdump-save $(O)/tests/tools/hvdump-vmcheck \
	$(O)/tests/shim/faildirsync.so

$(O)/libhvdump.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/hvdump: $(CLI_OBJS) $(O)/libhvdump.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

.SECONDARY:

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/unit/%: $(O)/obj/tests/unit/%.o $(O)/libhvdump.a
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/tests/tools/%: $(O)/obj/tests/tools/%.o $(O)/libhvdump.a
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(O)/obj/tests/%.o: ALL_CFLAGS += -Itests -Iguest/tools

# LD_PRELOAD shims that make a system call fail the way a failing disk would (no sanitizers:
# they are preloaded into the plain build's hvdump)
$(O)/tests/shim/%.so: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

# The guest's vmcore checker, built for the host too: tests hash saved ELF dumps with it.
$(O)/tests/tools/hvdump-vmcheck: guest/tools/hvdump-vmcheck.c guest/tools/pagehash.h
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 $(WARN) $(CFLAGS) -Iguest/tools -o $@ $<

# The guest saver: a static binary for the capture guest's initramfs (guest/build-demo puts it
# at /bin/hvdump-save), with the part of the format library it needs and static libraries.
GUEST_SAVE_SRCS := guest/tools/hvdump-save.c src/util/fsutil.c \
	$(addprefix src/format/,kdump_write.c kdump_resume.c kdump_read.c kdump_compress.c kdump_pool.c kdump.c \
		elfcore.c vmcoreinfo.c kmap.c kallsyms.c flat.c)
GUEST_SAVE_DEPS := $(GUEST_SAVE_SRCS) guest/tools/saveport.h $(wildcard src/format/*.h) src/util/fsutil.h
GUEST_STATIC_LIBS := -l:libzstd.a -l:liblzo2.a -l:libz.a -lpthread
GUEST_CFLAGS ?= -O2

$(O)/guest/hvdump-save: $(GUEST_SAVE_DEPS)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) -static $(GUEST_CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -o $@ \
		$(GUEST_SAVE_SRCS) $(GUEST_STATIC_LIBS)

# Unit tests need no guest; `make check` also runs the integration tests (they boot guests).
unit-check: $(UNIT_BINS)
	prove --exec '' $(UNIT_BINS)

check: all
	tests/run-all

guest:
	guest/fetch-kernel
	guest/build-demo

clean:
	rm -rf $(O)

-include $(shell find $(O)/obj -name "*.d" 2>/dev/null)

# --- fuzzing: `make fuzz` builds the libFuzzer targets in tests/fuzz/ into build-fuzz/ -------
# Needs clang with libFuzzer (Debian 12: package libclang-rt-14-dev).  tests/fuzz/run runs
# them; docs/fuzzing.md has the longer runs.
FUZZ_O     := build-fuzz
FUZZ_CC    ?= clang
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -O1 -g
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_O)/%)
# the format code the targets reach (a list, not a wildcard: other format files need zlib &c.)
FUZZ_LIB   := $(addprefix src/format/,elfcore.c prstatus.c vmcoreinfo.c vmcore.c printk.c kallsyms.c \
		panicscan.c kinfo.c kcmdline.c kmap.c btf.c)
FUZZ_DEPS  := $(FUZZ_LIB) $(FUZZ_LIB:.c=.h) tests/unit/synth.h tests/unit/synth_kinfo.h
FUZZ_CFLAGS := -std=gnu11 $(filter-out -Wno-format-truncation,$(WARN)) -D_GNU_SOURCE -Isrc -Itests

.PHONY: fuzz fuzz-clean
fuzz: $(FUZZ_BINS) $(FUZZ_O)/mkseed

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB)

$(FUZZ_O)/fuzz_kallsyms: tests/fuzz/kallsyms_input.h
$(FUZZ_O)/fuzz_kcmdline: tests/fuzz/kcmdline_input.h tests/unit/synth_kallsyms.h

# fuzz_kdump also reaches the kdump reader and dumpfile.c, which need the codecs
FUZZ_KDUMP_LIB := $(FUZZ_LIB) $(addprefix src/format/,dumpfile.c kdump.c kdump_read.c kdump_compress.c flat.c) \
		src/util/size.c
$(FUZZ_O)/fuzz_kdump: tests/fuzz/fuzz_kdump.c $(FUZZ_DEPS) $(FUZZ_KDUMP_LIB) \
		$(addprefix src/format/,dumpfile.h kdump.h kdump_disk.h)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_KDUMP_LIB) -lzstd -llzo2 -lz

# fuzz_pagefilter: the struct page walk and the zero scan over dumpfile.h (either format)
FUZZ_PF_LIB := $(FUZZ_KDUMP_LIB) src/format/pagefilter.c
FUZZ_PF_DEPS := $(FUZZ_DEPS) $(FUZZ_PF_LIB) \
	$(addprefix src/format/,dumpfile.h kdump.h kdump_disk.h le.h pagefilter.h)
$(FUZZ_O)/fuzz_pagefilter: tests/fuzz/fuzz_pagefilter.c $(FUZZ_PF_DEPS)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_PF_LIB) -lzstd -llzo2 -lz

# fuzz_saveproto: the guest saver's requests and the release check (src/vm, pure)
$(FUZZ_O)/fuzz_saveproto: tests/fuzz/fuzz_saveproto.c src/vm/saveproto.c src/vm/saveproto.h \
		src/format/elfcore.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< src/vm/saveproto.c

# fuzz_hmpregs: QEMU's `info registers -a` text (format/hmpregs.c, pure)
$(FUZZ_O)/fuzz_hmpregs: tests/fuzz/fuzz_hmpregs.c src/format/hmpregs.c src/format/hmpregs.h \
		src/format/elfcore.c src/format/elfcore.h src/format/prstatus.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< src/format/hmpregs.c src/format/elfcore.c

# fuzz_record: crash records (vm/record.c, with what it links: VM names, layouts, files, log)
FUZZ_RECORD_LIB := src/vm/record.c src/vm/config.c src/qemu/hw.c src/dump/layout.c src/util/fsutil.c \
	src/util/log.c src/util/systemd.c src/util/size.c src/format/elfcore.c
$(FUZZ_O)/fuzz_record: tests/fuzz/fuzz_record.c $(FUZZ_RECORD_LIB) src/vm/record.h \
		src/vm/config.h src/dump/layout.h src/dump/saver.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_RECORD_LIB) -ljansson -lsystemd

# fuzz_control: the control socket's requests (vm/control.c, with the clock, files and log)
FUZZ_CONTROL_LIB := src/vm/control.c src/util/clock.c src/util/fsutil.c src/util/log.c src/util/systemd.c
$(FUZZ_O)/fuzz_control: tests/fuzz/fuzz_control.c $(FUZZ_CONTROL_LIB) src/vm/control.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_CONTROL_LIB) -ljansson -lsystemd

# fuzz_kdump_resume: continuing a damaged OUT.part (the kdump writer's resume, the reader)
FUZZ_RESUME_LIB := $(addprefix src/format/,kdump_write.c kdump_resume.c kdump_read.c kdump.c kdump_compress.c \
	elfcore.c vmcoreinfo.c flat.c) src/util/fsutil.c
$(FUZZ_O)/fuzz_kdump_resume: tests/fuzz/fuzz_kdump_resume.c $(FUZZ_RESUME_LIB) \
		$(addprefix src/format/,kdump.h kdump_disk.h le.h)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_RESUME_LIB) -lzstd -llzo2 -lz

# fuzz_parttable: a guest disk's partition table and file-system signatures (format, pure)
FUZZ_PT_LIB := src/format/parttable.c src/format/fsmagic.c
$(FUZZ_O)/fuzz_parttable: tests/fuzz/fuzz_parttable.c $(FUZZ_PT_LIB) \
		$(addprefix src/format/,parttable.h fsmagic.h le.h)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_PT_LIB) -lz

# fuzz_flat: makedumpfile's flattened format read in place (format/flat.c, pure)
$(FUZZ_O)/fuzz_flat: tests/fuzz/fuzz_flat.c src/format/flat.c src/format/flat.h src/util/why.h
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_FLAGS) -o $@ $< src/format/flat.c

# fuzz_domxml: libvirt domain XML (libvirt/domxml.c with libxml2, the check over it, the capture
# domain made of it)
FUZZ_DOMXML_LIB := src/libvirt/domxml.c src/libvirt/domcheck.c src/libvirt/capxml.c
$(FUZZ_O)/fuzz_domxml: tests/fuzz/fuzz_domxml.c $(FUZZ_DOMXML_LIB) $(FUZZ_DOMXML_LIB:.c=.h)
	@mkdir -p $(dir $@)
	$(call msg,FUZZ,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(shell pkg-config --cflags libxml-2.0) $(FUZZ_FLAGS) -o $@ $< \
		$(FUZZ_DOMXML_LIB) -lxml2

# mkseed checks its pagefilter seed with pagefilter_scan over dumpfile.h, its crash records
# with record.c
MKSEED_LIB := $(FUZZ_PF_LIB) $(filter-out src/format/elfcore.c src/util/size.c,$(FUZZ_RECORD_LIB)) \
	src/format/kdump_write.c src/format/kdump_resume.c
$(FUZZ_O)/mkseed: tests/fuzz/mkseed.c $(FUZZ_PF_DEPS) $(MKSEED_LIB) src/vm/record.h \
		tests/fuzz/kallsyms_input.h tests/fuzz/kcmdline_input.h tests/unit/synth_kallsyms.h \
		tests/unit/synth_btf.h
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -O1 -g -fsanitize=address,undefined -o $@ $< $(MKSEED_LIB) \
		-ljansson -lsystemd -lzstd -llzo2 -lz

fuzz-clean:
	rm -rf $(FUZZ_O)

# --- install: `make install [PREFIX=/usr/local] [DESTDIR=...]`, `make uninstall`, `make man` ---
# hvdump; the static guest saver hvdump-save in LIBEXECDIR (/usr/local/lib/hvdump), where a
# guest image builder copies it into an initramfs (docs/hvdump.md, docs/service.md); man pages
# made from docs/hvdump*.md by pandoc (scripts/mkman); bash completion; the systemd template
# unit hvdump@.service and the tmpfs of its run directories (run-hvdump.mount), tmpfiles.d
# for /var/crash/hvdump, logrotate for /var/log/hvdump, and an example VM configuration.
# SYSCONFDIR is /etc whatever PREFIX is: the unit reads /etc/hvdump/NAME.conf.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/lib/hvdump
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/hvdump
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSCONFDIR ?= /etc
INSTALL    ?= install
VERSION    := $(shell sed -n 's/^\#define HVDUMP_VERSION "\(.*\)"/\1/p' src/cli/cli.h)

MAN_DOCS   := docs/hvdump.md $(wildcard docs/hvdump-*.md)
MAN_PAGES  := $(MAN_DOCS:docs/%.md=$(O)/man/%.1)
# the .so pages: hvdump-show.1 and hvdump-vacuum.1 for hvdump-list.1, ... (evaluated when used)
MAN_LINKS   = $(shell for d in $(MAN_DOCS); do sed -n '1s/^\# //p' $$d | grep -o 'hvdump [a-z]\+' | \
		tail -n +2 | sed 's/ /-/; s/$$/.1/'; done)

.PHONY: man install uninstall
man: $(MAN_PAGES)

# a page whose first heading names several commands (hvdump-list: list, show, vacuum) gets
# a .so page for each of the others (written aside and renamed: tests install in parallel)
$(O)/man/%.1: docs/%.md scripts/mkman $(O)/hvdump src/cli/cli.h
	@mkdir -p $(dir $@)
	$(call msg,MAN,$@)
	$(Q)scripts/mkman $< $(O)/hvdump $(VERSION) >$@.$$$$ && mv $@.$$$$ $@
	$(Q)for c in $$(sed -n '1s/^\# //p' $< | grep -o 'hvdump [a-z]\+' | cut -d' ' -f2 | tail -n +2); do \
		echo ".so man1/$*.1" >$(O)/man/hvdump-$$c.1.$$$$ && mv $(O)/man/hvdump-$$c.1.$$$$ $(O)/man/hvdump-$$c.1; \
	done

install: $(O)/hvdump $(O)/guest/hvdump-save man
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(O)/hvdump $(DESTDIR)$(BINDIR)/hvdump
	$(INSTALL) -m 0755 $(O)/guest/hvdump-save $(DESTDIR)$(LIBEXECDIR)/hvdump-save
	$(INSTALL) -m 0644 $(O)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 dist/bash-completion/hvdump $(DESTDIR)$(BASHCOMPDIR)/hvdump
	sed 's|/usr/bin/hvdump|$(BINDIR)/hvdump|' dist/systemd/hvdump@.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/hvdump@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/hvdump@.service
	$(INSTALL) -m 0644 dist/systemd/run-hvdump.mount $(DESTDIR)$(SYSTEMDUNITDIR)/run-hvdump.mount
	sed 's|/usr/bin/hvdump|$(BINDIR)/hvdump|' dist/systemd/hvdump-libvirt.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/hvdump-libvirt.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/hvdump-libvirt.service
	$(INSTALL) -m 0644 dist/tmpfiles/hvdump.conf $(DESTDIR)$(TMPFILESDIR)/hvdump.conf
	$(INSTALL) -m 0644 dist/logrotate/hvdump $(DESTDIR)$(SYSCONFDIR)/logrotate.d/hvdump
	$(INSTALL) -m 0644 dist/hvdump.conf.example docs/service.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hvdump $(DESTDIR)$(LIBEXECDIR)/hvdump-save \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(MAN_DOCS:docs/%.md=%.1) $(MAN_LINKS)) \
		$(DESTDIR)$(BASHCOMPDIR)/hvdump $(DESTDIR)$(SYSTEMDUNITDIR)/hvdump@.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/run-hvdump.mount \
		$(DESTDIR)$(SYSTEMDUNITDIR)/hvdump-libvirt.service $(DESTDIR)$(TMPFILESDIR)/hvdump.conf \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/hvdump \
		$(DESTDIR)$(DOCDIR)/hvdump.conf.example $(DESTDIR)$(DOCDIR)/service.md
	-rmdir $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null
