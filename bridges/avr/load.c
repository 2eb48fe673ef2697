// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guse-avr, the firmware: an AVR ELF file (read by simavr's own loader,
 * after this file checked everything that loader trusts) or an Intel HEX
 * file (read here).  Errors name the file and what is wrong with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guse-avr.h"

#ifndef EM_AVR
#define EM_AVR 83
#endif

/* avr-objcopy's addresses of the memories in a HEX file */
#define HEX_EEPROM	0x810000u
#define HEX_FUSE	0x820000u	/* from here on: fuses, lock bits, ... */
#define HEX_MMCU	0x910000u	/* simavr's .mmcu (avr_mcu_section.h) */
#define HEX_FLASH_MAX	0x400000u	/* 4 MiB: more than any AVR has */
#define HEX_EEPROM_MAX	0x10000u
#define HEX_LINE_MAX	600		/* 255 data bytes make 521 characters */

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------------ */
/* ELF */

/* A NUL-terminated string of fewer than @max bytes within @len bytes. */
static bool string_ok(const uint8_t *s, size_t len, size_t max)
{
	const uint8_t *nul = memchr(s, 0, len);

	return nul && (size_t)(nul - s) < max;
}

/*
 * The .mmcu section (simavr's avr_mcu_section.h tags: MCU name, clock, VCD
 * traces, ...).  simavr's parser copies its strings without bounds and
 * reads past a truncated tag: every tag must fit and every string must end
 * inside its tag and fit simavr's field.
 */
static int check_mmcu(const uint8_t *s, size_t size, char *err, size_t errsize)
{
	unsigned int traces = 0;

	while (size) {
		uint8_t tag, len;
		const uint8_t *v;

		if (size < 2)
			return fail(err, errsize, "truncated .mmcu section");
		tag = s[0];
		len = s[1];
		v = s + 2;
		if (len > size - 2)
			return fail(err, errsize, ".mmcu tag %u is longer than "
				    "its section", tag);
		switch (tag) {
		case AVR_MMCU_TAG_NAME:
			if (!string_ok(v, len, sizeof(((elf_firmware_t *)0)->mmcu)))
				return fail(err, errsize, "bad MCU name in .mmcu");
			break;
		case AVR_MMCU_TAG_FREQUENCY:
		case AVR_MMCU_TAG_VCC:
		case AVR_MMCU_TAG_AVCC:
		case AVR_MMCU_TAG_AREF:
		case AVR_MMCU_TAG_VCD_PERIOD:
			if (len < 4)
				return fail(err, errsize, "short .mmcu tag %u", tag);
			break;
		case AVR_MMCU_TAG_SIMAVR_COMMAND:
		case AVR_MMCU_TAG_SIMAVR_CONSOLE:
			if (len < 2)
				return fail(err, errsize, "short .mmcu tag %u", tag);
			break;
		case AVR_MMCU_TAG_PORT_EXTERNAL_PULL:
			if (len < 3)
				return fail(err, errsize, "short .mmcu tag %u", tag);
			break;
		case AVR_MMCU_TAG_VCD_FILENAME:
			if (!string_ok(v, len,
				       sizeof(((elf_firmware_t *)0)->tracename)))
				return fail(err, errsize, "bad VCD file name in .mmcu");
			break;
		case AVR_MMCU_TAG_VCD_TRACE:
		case AVR_MMCU_TAG_VCD_PORTPIN:
		case AVR_MMCU_TAG_VCD_IRQ:
			if (len < 4 ||
			    !string_ok(v + 3, len - 3,
				       sizeof(((elf_firmware_t *)0)->trace[0].name)))
				return fail(err, errsize, "bad VCD trace in .mmcu");
			if (++traces > 32)
				return fail(err, errsize, "more than 32 VCD traces "
					    "in .mmcu");
			break;
		}
		s += 2 + len;
		size -= 2 + (size_t)len;
	}
	return 0;
}

/* Every symbol of a symbol table has a name (simavr copies them all). */
static int check_symbols(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
			 char *err, size_t errsize)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i, n;

	if (!sh->sh_entsize || !d)
		return fail(err, errsize, "bad symbol table");
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		GElf_Sym sym;

		if (!gelf_getsym(d, (int)i, &sym) ||
		    !elf_strptr(e, sh->sh_link, sym.st_name))
			return fail(err, errsize, "bad symbol %zu", i);
	}
	return 0;
}

/* Checks the file as simavr 1.6's elf_read_firmware() will read it. */
static int check_elf(int fd, char *err, size_t errsize)
{
	static const char *const read_by_simavr[] = {
		".text", ".data", ".eeprom", ".fuse", ".lock", ".bss", ".mmcu",
	};
	bool text = false, fuse = false, lock = false;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Ehdr eh;
	Elf *e;
	int ret = -1;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(err, errsize, "libelf: %s", elf_errmsg(-1));
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		fail(err, errsize, "not an ELF file");
		goto out;
	}
	if (!gelf_getehdr(e, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS32) {
		fail(err, errsize, "not a 32-bit ELF file");
		goto out;
	}
	if (eh.e_machine != EM_AVR) {
		fail(err, errsize, "an ELF file for machine %u, not AVR (%u)",
		     eh.e_machine, EM_AVR);
		goto out;
	}
	if (elf_getshdrstrndx(e, &shstrndx) || shstrndx != eh.e_shstrndx) {
		fail(err, errsize, "bad section name table");
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;
		Elf_Data *d;
		GElf_Shdr sh;
		size_t i;

		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(e, shstrndx, sh.sh_name))) {
			fail(err, errsize, "bad section header");
			goto out;
		}
		if (sh.sh_type == SHT_SYMTAB &&
		    check_symbols(e, scn, &sh, err, errsize))
			goto out;
		for (i = 0; i < sizeof(read_by_simavr) / sizeof(*read_by_simavr); i++)
			if (!strcmp(name, read_by_simavr[i]))
				break;
		if (i == sizeof(read_by_simavr) / sizeof(*read_by_simavr))
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || (d->d_size && !d->d_buf && sh.sh_type != SHT_NOBITS)) {
			fail(err, errsize, "cannot read section %s", name);
			goto out;
		}
		if (!strcmp(name, ".mmcu") &&
		    check_mmcu(d->d_buf, d->d_size, err, errsize))
			goto out;
		text |= !strcmp(name, ".text") && d->d_size;
		fuse |= !strcmp(name, ".fuse");
		lock |= !strcmp(name, ".lock");
	}
	if (!text)
		fail(err, errsize, "no code (no .text section)");
	else if (lock && !fuse)	/* simavr 1.6 reads .lock from .fuse's data */
		fail(err, errsize, "a .lock section without .fuse (simavr 1.6 "
		     "cannot load it)");
	else
		ret = 0;
out:
	elf_end(e);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Intel HEX */

/* A growing memory image; unwritten bytes read 0xff (erased flash). */
struct image {
	uint8_t *data;
	uint32_t lo, hi;	/* bytes [lo, hi) were written */
	uint32_t size;		/* allocated, from 0 */
};

static int image_put(struct image *im, uint32_t addr, const uint8_t *src,
		     uint32_t len)
{
	if (addr + len > im->size) {
		uint32_t size = im->size ? im->size : 4096;
		uint8_t *p;

		while (size < addr + len)
			size *= 2;
		p = realloc(im->data, size);
		if (!p)
			return -1;
		memset(p + im->size, 0xff, size - im->size);
		im->data = p;
		im->size = size;
	}
	memcpy(im->data + addr, src, len);
	if (im->lo == im->hi || addr < im->lo)
		im->lo = addr;
	if (addr + len > im->hi)
		im->hi = addr + len;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* One record ":LLAAAATT<data>CC" into @b; returns its byte count or -1. */
static int hex_bytes(const char *s, uint8_t *b, size_t max)
{
	size_t n = 0;

	for (; s[0] && s[1]; s += 2) {
		int hi = hex_digit(s[0]), lo = hex_digit(s[1]);

		if (hi < 0 || lo < 0 || n == max)
			return -1;
		b[n++] = (uint8_t)(hi << 4 | lo);
	}
	return *s ? -1 : (int)n;
}

/* The memories of a HEX file: flash, EEPROM and simavr's .mmcu. */
enum { HEX_IM_FLASH, HEX_IM_EEPROM, HEX_IM_MMCU, HEX_IMAGES };

/* Data at @addr of the HEX file's address space. */
static int hex_data(struct image *im, uint32_t addr, const uint8_t *data,
		    uint8_t len, char *err, size_t errsize)
{
	struct image *to;

	if (addr >= HEX_MMCU && addr + len <= HEX_MMCU + 0x10000) {
		to = &im[HEX_IM_MMCU];
		addr -= HEX_MMCU;
	} else if (addr >= HEX_FUSE) {
		return 0;	/* fuses, lock bits, signature: not simulated */
	} else if (addr >= HEX_EEPROM) {
		to = &im[HEX_IM_EEPROM];
		addr -= HEX_EEPROM;
		if (addr + len > HEX_EEPROM_MAX)
			return fail(err, errsize, "EEPROM data beyond 64 KiB");
	} else if (addr + len > HEX_FLASH_MAX) {
		return fail(err, errsize, "data at 0x%x, beyond any AVR's flash",
			    addr);
	} else {
		to = &im[HEX_IM_FLASH];
	}
	if (image_put(to, addr, data, len))
		return fail(err, errsize, "out of memory");
	return 0;
}

/*
 * The MCU and clock from a .mmcu section that avr-objcopy put in the HEX
 * file (ELF files: simavr reads them itself).
 */
static void mmcu_names(const uint8_t *s, size_t size, elf_firmware_t *elf)
{
	while (size >= 2 && (size_t)s[1] + 2 <= size) {
		const uint8_t *v = s + 2;

		if (s[0] == AVR_MMCU_TAG_NAME)
			strcpy(elf->mmcu, (const char *)v);	/* checked */
		else if (s[0] == AVR_MMCU_TAG_FREQUENCY)
			elf->frequency = (uint32_t)v[0] | (uint32_t)v[1] << 8 |
					 (uint32_t)v[2] << 16 |
					 (uint32_t)v[3] << 24;
		size -= 2 + (size_t)s[1];
		s += 2 + s[1];
	}
}

/* Applies one record; *@eof is set by the end-of-file record. */
static int hex_record(const uint8_t *b, int n, uint32_t *base,
		      struct image *im, bool *eof, char *err, size_t errsize)
{
	uint8_t sum = 0;
	uint32_t addr;
	int i;

	if (n < 5 || n != b[0] + 5)
		return fail(err, errsize, "bad record length");
	for (i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	if (sum)
		return fail(err, errsize, "bad checksum");
	addr = *base + (uint32_t)(b[1] << 8 | b[2]);
	switch (b[3]) {
	case 0:
		return hex_data(im, addr, b + 4, b[0], err, errsize);
	case 1:
		*eof = true;
		return 0;
	case 2:
	case 4:
		if (b[0] != 2)
			return fail(err, errsize, "bad address record");
		*base = (uint32_t)(b[4] << 8 | b[5]) << (b[3] == 2 ? 4 : 16);
		return 0;
	case 3:
	case 5:		/* start address: the AVR starts at its reset vector */
		return 0;
	}
	return fail(err, errsize, "unknown record type %u", b[3]);
}

static int read_hex(FILE *f, struct firmware *fw, char *err, size_t errsize)
{
	struct image im[HEX_IMAGES] = { { 0 } };
	struct image *flash = &im[HEX_IM_FLASH], *eeprom = &im[HEX_IM_EEPROM];
	struct image *mmcu = &im[HEX_IM_MMCU];
	char line[HEX_LINE_MAX], why[128];
	unsigned int i;
	unsigned int lineno = 0;
	uint32_t base = 0;
	bool eof = false;
	uint8_t b[HEX_LINE_MAX / 2];

	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");
		int n;

		lineno++;
		if (len == sizeof(line) - 1 && !line[len]) {
			fail(err, errsize, "line %u: too long", lineno);
			goto bad;
		}
		line[len] = '\0';
		if (!len)
			continue;
		if (eof) {
			fail(err, errsize, "line %u: data after the end-of-file "
			     "record", lineno);
			goto bad;
		}
		n = line[0] == ':' ? hex_bytes(line + 1, b, sizeof(b)) : -1;
		if (n < 0) {
			fail(err, errsize, "line %u: not an Intel HEX record",
			     lineno);
			goto bad;
		}
		if (hex_record(b, n, &base, im, &eof, why, sizeof(why))) {
			fail(err, errsize, "line %u: %s", lineno, why);
			goto bad;
		}
	}
	if (!eof) {
		fail(err, errsize, "no end-of-file record (truncated?)");
		goto bad;
	}
	if (flash->lo == flash->hi) {
		fail(err, errsize, "no code");
		goto bad;
	}
	if (mmcu->lo != mmcu->hi) {
		if (mmcu->lo || check_mmcu(mmcu->data, mmcu->hi, why,
					   sizeof(why))) {
			fail(err, errsize, "its .mmcu data: %s",
			     mmcu->lo ? "not at 0x910000" : why);
			goto bad;
		}
		mmcu_names(mmcu->data, mmcu->hi, &fw->elf);
	}
	free(mmcu->data);
	/* the image from its lowest address: a bootloader starts there */
	memmove(flash->data, flash->data + flash->lo, flash->hi - flash->lo);
	fw->elf.flash = flash->data;
	fw->elf.flashbase = flash->lo;
	fw->elf.flashsize = flash->hi - flash->lo;
	if (eeprom->lo != eeprom->hi) {
		/* avr_load_firmware() loads the EEPROM from offset 0 */
		fw->elf.eeprom = eeprom->data;
		fw->elf.eesize = eeprom->hi;
	} else {
		free(eeprom->data);
	}
	fw->hex = true;
	return 0;
bad:
	for (i = 0; i < HEX_IMAGES; i++)
		free(im[i].data);
	return -1;
}

/* ------------------------------------------------------------------------ */

/*
 * Reads @path into @fw (zeroed first).  On failure @err says why, without
 * the file name.
 */
int firmware_read(const char *path, struct firmware *fw, char *err,
		  size_t errsize)
{
	unsigned char magic[4] = { 0 };
	ssize_t n;
	FILE *f;
	int fd, ret;

	memset(fw, 0, sizeof(*fw));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errsize, "%s", strerror(errno));
	n = read(fd, magic, sizeof(magic));
	if (n == (ssize_t)sizeof(magic) && !memcmp(magic, ELFMAG, SELFMAG)) {
		ret = check_elf(fd, err, errsize);
		close(fd);
		if (ret)
			return ret;
		/* simavr prints its own reasons; the checks above leave few */
		if (elf_read_firmware(path, &fw->elf))
			return fail(err, errsize, "simavr cannot read it");
		return 0;
	}
	if (n < 1 || magic[0] != ':') {
		close(fd);
		return fail(err, errsize, n < 0 ? strerror(errno) :
			    "neither an AVR ELF file nor Intel HEX");
	}
	f = lseek(fd, 0, SEEK_SET) ? NULL : fdopen(fd, "r");
	if (!f) {
		close(fd);
		return fail(err, errsize, "%s", strerror(errno));
	}
	ret = read_hex(f, fw, err, errsize);
	fclose(f);
	return ret;
}

/* Whether the code and EEPROM data fit the MCU simavr made. */
int firmware_fits(const struct firmware *fw, const avr_t *avr, char *err,
		  size_t errsize)
{
	uint64_t end = (uint64_t)fw->elf.flashbase + fw->elf.flashsize;

	if (end > (uint64_t)avr->flashend + 1)
		return fail(err, errsize, "%" PRIu64 " bytes of code and data "
			    "do not fit the %u bytes of flash of the %s", end,
			    avr->flashend + 1, avr->mmcu);
	if (fw->elf.eesize > (uint64_t)avr->e2end + 1)
		return fail(err, errsize, "%u bytes of EEPROM data do not fit "
			    "the %u bytes of the %s", fw->elf.eesize,
			    avr->e2end + 1, avr->mmcu);
	return 0;
}

void firmware_release(struct firmware *fw)
{
	uint32_t i;

	free(fw->elf.flash);
	free(fw->elf.eeprom);
	free(fw->elf.fuse);
	free(fw->elf.lockbits);
	for (i = 0; i < fw->elf.symbolcount; i++)
		free(fw->elf.symbol[i]);
	free(fw->elf.symbol);
	memset(fw, 0, sizeof(*fw));
}
