// SPDX-License-Identifier: MIT
/* The smallest guse server: an 8-line chip answered by libguse's built-in
 * line state.  Consumers can request, drive and read every line; inputs
 * read 0 until a server calls guse_chip_set_input().  Stop it with SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <guse.h>

static struct guse_chip *chip;

static void on_signal(int sig)
{
	(void)sig;
	guse_chip_exit(chip);		/* async-signal-safe */
}

int main(void)
{
	struct guse_chip_config *cfg = guse_chip_config_new();
	int ret;

	guse_chip_config_set_label(cfg, "minimal");
	guse_chip_config_set_num_lines(cfg, 8);
	chip = guse_chip_new(cfg, NULL, 0, NULL);	/* no callbacks */
	guse_chip_config_free(cfg);
	if (!chip) {
		const char *hint = guse_error_hint(errno);

		perror("guse_chip_new");
		if (hint)
			fprintf(stderr, "%s\n", hint);	/* e.g. modprobe */
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready %s\n", guse_chip_get_name(chip));
	fflush(stdout);
	ret = guse_chip_run(chip);	/* until guse_chip_exit() */
	if (ret)
		perror("guse_chip_run");
	guse_chip_free(chip);
	return ret ? 1 : 0;
}
