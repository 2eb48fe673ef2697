/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file guse.h
 * @brief libguse: GPIO chips implemented in userspace.
 *
 * libguse is the server side of /dev/guse.  A server describes a chip with a
 * ::guse_chip_config, creates it with guse_chip_new() and then answers the
 * requests the kernel sends on behalf of GPIO consumers (gpioset, libgpiod,
 * kernel drivers).  Every request the server does not handle itself is
 * answered by the library from its built-in line state, so a server with no
 * callbacks at all is already a working chip whose lines behave as those of
 * the kernel's gpio-sim (see @ref simulated): their pulls are set with
 * guse_chip_set_input().
 *
 * Conventions (as libgpiod v2): opaque objects, functions named
 * guse_<object>_<verb>(), errors reported as -1 or NULL with errno set.  The
 * library never prints, aborts or exits.
 *
 * This header does not need the kernel's uapi header; the constants it
 * defines have the values of the /dev/guse protocol.
 */
#ifndef GUSE_H
#define GUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @cond */
#ifndef GUSE_API
#define GUSE_API __attribute__((visibility("default")))
#endif
/** @endcond */

/**
 * @defgroup common Common definitions
 * @{
 */

#ifndef GUSE_NAME_SIZE
/** Size of every name (label, line name, consumer), NUL included. */
#define GUSE_NAME_SIZE 32
#endif
#ifndef GUSE_LINES_MAX
/** Largest number of lines of one chip. */
#define GUSE_LINES_MAX 1024
#endif
#ifndef GUSE_BITMAP_WORDS
/** Number of 64-bit words of a line bitmap covering @p n lines. */
#define GUSE_BITMAP_WORDS(n) (((n) + 63) / 64)
#endif

/**
 * @brief Line bitmaps: line @p n is bit (n % 64) of word (n / 64).
 *
 * Every bitmap passed to or from the library has exactly
 * guse_chip_get_num_words() words.
 */
#define GUSE_BIT_WORD(n) ((n) / 64)
/** Mask of line @p n within its bitmap word. */
#define GUSE_BIT_MASK(n) ((uint64_t)1 << ((n) % 64))

/**
 * Line direction.  The values are those of libgpiod v2's
 * enum gpiod_line_direction (GPIOD_LINE_DIRECTION_INPUT,
 * GPIOD_LINE_DIRECTION_OUTPUT), not the protocol's GUSE_DIRECTION_* (which
 * are gpiolib's, 1 and 0): the library converts, and 0 and 1 are not
 * valid directions.
 */
enum guse_line_direction {
	/** The line is an input (the default of every line). */
	GUSE_LINE_DIRECTION_INPUT = 2,
	/** The line is an output. */
	GUSE_LINE_DIRECTION_OUTPUT = 3,
};

/** Kinds of requests; the values are the protocol opcodes. */
enum guse_request_type {
	/** A consumer requests a line. */
	GUSE_REQUEST_REQUEST = 16,
	/** A consumer released a line. */
	GUSE_REQUEST_FREE = 17,
	/** Read the direction of a line. */
	GUSE_REQUEST_GET_DIRECTION = 19,
	/** Make a line an input. */
	GUSE_REQUEST_DIRECTION_INPUT = 20,
	/** Make a line an output driving a value. */
	GUSE_REQUEST_DIRECTION_OUTPUT = 21,
	/** Read the values of a set of lines. */
	GUSE_REQUEST_GET_VALUES = 22,
	/** Drive the values of a set of output lines. */
	GUSE_REQUEST_SET_VALUES = 23,
	/** Configure bias, drive or debounce of a line. */
	GUSE_REQUEST_SET_CONFIG = 24,
	/** Interrupt trigger or mask of a line changed. */
	GUSE_REQUEST_IRQ_CONFIG = 25,
};

/** SET_CONFIG parameters; the values are the protocol's. */
enum guse_line_param {
	/** No bias. */
	GUSE_LINE_PARAM_BIAS_DISABLE = 1,
	/** Pull-up bias. */
	GUSE_LINE_PARAM_BIAS_PULL_UP = 2,
	/** Pull-down bias. */
	GUSE_LINE_PARAM_BIAS_PULL_DOWN = 3,
	/** Push-pull drive. */
	GUSE_LINE_PARAM_DRIVE_PUSH_PULL = 4,
	/** Open-drain drive. */
	GUSE_LINE_PARAM_DRIVE_OPEN_DRAIN = 5,
	/** Open-source drive. */
	GUSE_LINE_PARAM_DRIVE_OPEN_SOURCE = 6,
	/** Input debounce; the argument is the period in microseconds. */
	GUSE_LINE_PARAM_INPUT_DEBOUNCE = 7,
};

/** Interrupt triggers (the values of virtio-gpio and of the protocol). */
enum guse_line_irq_type {
	/** No interrupt. */
	GUSE_LINE_IRQ_NONE = 0x00,
	/** Rising edge. */
	GUSE_LINE_IRQ_EDGE_RISING = 0x01,
	/** Falling edge. */
	GUSE_LINE_IRQ_EDGE_FALLING = 0x02,
	/** Both edges. */
	GUSE_LINE_IRQ_EDGE_BOTH = 0x03,
	/** High level. */
	GUSE_LINE_IRQ_LEVEL_HIGH = 0x04,
	/** Low level. */
	GUSE_LINE_IRQ_LEVEL_LOW = 0x08,
};

/** IRQ_CONFIG flag: the interrupt is enabled (requested, not disabled). */
#define GUSE_LINE_IRQ_F_ENABLED (1U << 0)

/**
 * @brief The library version as a string, e.g. "0.1.0".
 * @return A static string.
 */
GUSE_API const char *guse_version_string(void);

/**
 * @brief What an error of chip creation means and how to get past it.
 *
 * For the errno of a failed guse_chip_new(), guse_chip_new_fd(),
 * guse_virtio_new() or guse_virtio_new_fd(): one sentence, without the
 * errno's own text, that names the cause and the way out, e.g. for ENOENT
 * that /dev/guse is missing and `modprobe gpio-guse` provides it, for
 * EACCES the udev rule and the guse group, for EINVAL the limits of the
 * chip description.  A program prints it after strerror(errnum):
 *
 * @code
 * chip = guse_chip_new(cfg, &ops, sizeof(ops), NULL);
 * if (!chip) {
 *         const char *hint = guse_error_hint(errno);
 *
 *         perror("guse_chip_new");
 *         if (hint)
 *                 fprintf(stderr, "%s\n", hint);
 * }
 * @endcode
 *
 * @param errnum An errno value.
 * @return A static string, or NULL when there is nothing to add to
 *         strerror(errnum) (ENOMEM, for example).
 */
GUSE_API const char *guse_error_hint(int errnum);

/** @} */

/**
 * @defgroup simulated Simulated lines
 *
 * The built-in line state (the replies of guse_reply_default(), which
 * answers every request without a callback) simulates lines as the
 * kernel's gpio-sim does:
 *
 * - Every line has a pull, the level the outside world gives it (0 at
 *   first): guse_chip_set_input() and guse_chip_set_inputs() set it, and
 *   guse_chip_get_input_level() returns it.  An input, and a line nobody
 *   drives, reads its pull; a change of the pull of a watched input is an
 *   edge.
 * - A consumer's pull-up or pull-down bias becomes the line's pull: the
 *   library injects the new level (GUSE_OP_SET_INPUTS) before it answers
 *   the SET_CONFIG, so an undriven input reads 1 after a pull-up and 0
 *   after a pull-down (the pull changed even if the reply then comes too
 *   late for the kernel).  The pull stays when the consumer releases the
 *   line (until the next injection or bias), as in gpio-sim.  Bias
 *   disable, and a consumer that leaves the bias as it is, leave the pull.
 *   The bias of a consumer that watches edges applies before gpiolib sets
 *   up edge detection, so it is no edge for that consumer (nor in
 *   gpio-sim); later pull changes are.  A bias that a set_config callback
 *   answers itself is only recorded (guse_chip_get_bias()).
 * - A requested output drives its value.  Released (FREE), it no longer
 *   drives: it reads its pull, although gpiolib still sees an output; a
 *   consumer that takes it again as it is (gpioget --as-is) drives that
 *   level.  guse_chip_config_set_hold_outputs() keeps released outputs
 *   driving instead, as most hardware does.
 * - Open drain and open source are declined by the default reply, as by
 *   gpio-sim: gpiolib then makes the line an input for the passive level,
 *   which reads the pull.  A server that accepts them in its set_config
 *   callback gets the same levels: the passive level (1 for open drain, 0
 *   for open source) floats to the pull.
 *
 * Releases and biases reach the library only with GUSE_CREATE_F_REQUEST
 * and GUSE_CREATE_F_SET_CONFIG: a chip without any callback asks for both
 * (as guse_chip_config_set_track_all() does); a server with callbacks gets
 * them with a request/free/consumer or set_config callback, or with
 * tracking.  Without REQUEST and FREE every output counts as driven.
 *
 * One difference to gpio-sim is deliberate: gpio-sim's line keeps the
 * level it last drove when it becomes an input (an open-drain line that
 * drove 0 reads 0 at its passive level on a pull-up, until the pull
 * changes); here an input always reads its pull.
 */

/**
 * @defgroup device_side The device side
 *
 * The modelled controller changes its own lines too: a guest programs a
 * direction register, a peripheral takes a pin and gives it back.  The
 * server reports such changes and the kernel shows them to host tools as
 * gpiolib shows a driver's (protocol 1.1):
 *
 * - guse_chip_set_direction(): the device made the line an input or an
 *   output.  gpioinfo shows the new direction on every kernel; a line-info
 *   watcher (gpionotify) sees "reconfigured" on kernels whose gpiolib
 *   reports in-kernel direction changes (6.13 and later), nothing before.
 *   An output the device side drives keeps its value (also when nobody has
 *   it requested) until a host consumer takes it over; an input reads its
 *   pull.
 * - guse_chip_claim_line() and guse_chip_unclaim_line(): the device holds
 *   the line under a label.  gpioinfo shows it used by that label and host
 *   requests fail with EBUSY.  Watchers see "requested" on 6.13 and later
 *   and "released" on every kernel.  A claimed line's direction can still
 *   change (guse_chip_set_direction()).
 * - Hogs (guse_chip_config_set_line_hog()) are claims made at creation;
 *   guse_chip_config_set_line_direction() and
 *   guse_chip_config_set_line_pull() give the other lines their state at
 *   reset, and guse_chip_config_set_line_valid() leaves lines out.
 *
 * A line a host consumer holds (requested, or used as an interrupt) is the
 * consumer's: a device-side direction change or claim of it fails with
 * EBUSY and changes nothing, and the consumer keeps its direction and
 * value.  The built-in state changes only when the kernel took the change.
 */

/**
 * @defgroup config Chip configuration
 *
 * A ::guse_chip_config collects the parameters of a chip before it is
 * created.  It is not thread-safe and can be freed as soon as guse_chip_new()
 * returns.
 * @{
 */

/** Opaque chip configuration. */
struct guse_chip_config;

/**
 * @brief Create a configuration: label "guse", no lines (the number of lines
 *        must be set), default timeout, device path from the environment
 *        variable GUSE_DEVICE or "/dev/guse".
 * @return New configuration or NULL (errno ENOMEM).
 */
GUSE_API struct guse_chip_config *guse_chip_config_new(void);

/**
 * @brief Free a configuration.
 * @param cfg Configuration, may be NULL.
 */
GUSE_API void guse_chip_config_free(struct guse_chip_config *cfg);

/**
 * @brief Set the chip label.
 * @param cfg Configuration.
 * @param label Non-empty string shorter than ::GUSE_NAME_SIZE.
 * @return 0, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_config_set_label(struct guse_chip_config *cfg,
					const char *label);

/**
 * @brief Set the number of lines.
 * @param cfg Configuration.
 * @param num_lines 1 to ::GUSE_LINES_MAX (the kernel module may allow fewer).
 * @return 0, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_config_set_num_lines(struct guse_chip_config *cfg,
					    unsigned int num_lines);

/**
 * @brief Name a line.
 *
 * Names are optional; unnamed lines have no name in gpioinfo.  Naming a line
 * at or beyond the number of lines makes guse_chip_new() fail with EINVAL.
 *
 * @param cfg Configuration.
 * @param line Line offset, below ::GUSE_LINES_MAX.
 * @param name String shorter than ::GUSE_NAME_SIZE; NULL or "" removes it.
 * @return 0, or -1 with errno EINVAL or ENOMEM.
 */
GUSE_API int guse_chip_config_set_line_name(struct guse_chip_config *cfg,
					    unsigned int line,
					    const char *name);

/**
 * @brief Set the time the kernel waits for each reply.
 * @param cfg Configuration.
 * @param timeout_ms 0 for the kernel default (5000 ms), at most 600000.
 * @return 0, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_config_set_timeout_ms(struct guse_chip_config *cfg,
					     unsigned int timeout_ms);

/**
 * @brief Set the path of the guse device (overrides GUSE_DEVICE).
 * @param cfg Configuration.
 * @param path Device path; NULL restores the default.
 * @return 0, or -1 with errno ENOMEM.
 */
GUSE_API int guse_chip_config_set_device_path(struct guse_chip_config *cfg,
					      const char *path);

/**
 * @brief Ask the kernel for every kind of request even without callbacks.
 *
 * By default the library announces to the kernel only the request kinds the
 * server has callbacks for: without a request/free/consumer callback the
 * kernel grants line requests by itself, without set_config it declines all
 * configuration and without irq_config it does not report interrupt
 * configuration.  A chip without any callback asks for requests and
 * configuration anyway, which its simulated lines need (see
 * @ref simulated).  With tracking on, these requests are sent anyway and
 * answered from the built-in state, so that guse_chip_is_requested(),
 * guse_chip_get_consumer(), guse_chip_get_bias() and the other getters work
 * for a server without callbacks.
 *
 * @param cfg Configuration.
 * @param track true to request everything.
 */
GUSE_API void guse_chip_config_set_track_all(struct guse_chip_config *cfg,
					     bool track);

/**
 * @brief Have reads of input lines answered by the server, not the kernel.
 *
 * Off by default: the kernel answers reads of input lines itself from the
 * levels injected with guse_chip_set_inputs(), sends GET_VALUES only for
 * the lines it records as outputs, and the kernel applies an injection that
 * changes a line again only after the consumers' interrupt handlers of its
 * previous edge have run (it queues it; the write does not wait), so that
 * no edge is lost or reported with the wrong direction.
 *
 * On (GUSE_CREATE_F_GET_INPUTS), every read reaches the server: the
 * get_values callback, or without one the built-in state, which answers
 * inputs with the level last injected.  Injections are then applied at
 * once, and a get_values callback must answer an input line with the level
 * it last injected, or a consumer watching both edges may report the wrong
 * one.
 * Setting a get_values callback does not turn this on.
 *
 * @param cfg Configuration.
 * @param serve true to receive reads of input lines.
 */
GUSE_API void
guse_chip_config_set_serve_input_reads(struct guse_chip_config *cfg,
				       bool serve);

/**
 * @brief Let the kernel answer reads of driven outputs itself.
 *
 * Off by default: every read of an output line reaches the server (the
 * get_values callback, or the built-in state), a round trip per read.  On
 * (GUSE_CREATE_F_OUTPUT_CACHE, protocol 1.2), the server promises that the
 * level of a line a consumer drives as an output never changes behind that
 * consumer's back: no get_values answer other than the value last set,
 * e.g. no open-drain contention modelled by the server, and device-side
 * changes only through guse_chip_set_line_direction() or
 * guse_chip_claim_line().  The kernel then answers reads of requested
 * outputs from the value last set on them, without a GET_VALUES, as it
 * answers reads of inputs from the injected levels; an output whose value
 * it did not set (a line requested "as is") is still read from the server.
 * The built-in state (no callbacks) keeps the promise.
 *
 * guse_chip_new() fails with EINVAL on a kernel older than protocol 1.2.
 *
 * @param cfg Configuration.
 * @param cache true to have outputs read back by the kernel.
 */
GUSE_API void guse_chip_config_set_output_cache(struct guse_chip_config *cfg,
						bool cache);

/**
 * @brief Keep released outputs driving, as most hardware does.
 *
 * Off by default: the built-in state simulates lines as the kernel's
 * gpio-sim does (see @ref simulated), where a line a consumer drove and
 * released reads its pull afterwards.  On, a released output keeps driving
 * its last value until the next consumer changes it (libguse's behaviour
 * before the simulated line model, and that of most GPIO controllers);
 * everything else of the model stays.
 *
 * @param cfg Configuration.
 * @param hold true: released outputs keep driving.
 */
GUSE_API void guse_chip_config_set_hold_outputs(struct guse_chip_config *cfg,
						bool hold);

/**
 * @brief Set the direction a line has when the chip appears.
 *
 * The state of the modelled controller at reset, e.g. firmware that drives
 * an output: the line is an output from the start, driven by the device
 * side (it keeps its value when nobody has it requested, see
 * @ref device_side), and gpioinfo shows it as an output.  By default every
 * line starts as an input.  A line configured at or beyond the number of
 * lines makes guse_chip_new() fail with EINVAL.
 *
 * @param cfg Configuration.
 * @param line Line offset, below ::GUSE_LINES_MAX.
 * @param direction ::guse_line_direction value.
 * @param value The level of an output, 0 or 1 (0 for an input).
 * @return 0, or -1 with errno EINVAL or ENOMEM.
 */
GUSE_API int guse_chip_config_set_line_direction(struct guse_chip_config *cfg,
						 unsigned int line,
						 int direction, int value);

/**
 * @brief Set the pull a line has when the chip appears (0 by default).
 *
 * What an input reads until the first guse_chip_set_input() (see
 * @ref simulated), as gpio-sim's initial pull.
 *
 * @param cfg Configuration.
 * @param line Line offset, below ::GUSE_LINES_MAX.
 * @param value 0 or 1.
 * @return 0, or -1 with errno EINVAL or ENOMEM.
 */
GUSE_API int guse_chip_config_set_line_pull(struct guse_chip_config *cfg,
					    unsigned int line, int value);

/**
 * @brief Make a line a hog: held by the chip itself from its creation.
 *
 * As a gpio-sim hog (and a device tree gpio-hog): gpioinfo shows the line
 * used by @p consumer with the given direction, and host requests of it
 * fail with EBUSY until guse_chip_unclaim_line() gives it back.  A hog is a
 * device-side claim (guse_chip_claim_line()) made at creation.
 *
 * @param cfg Configuration.
 * @param line Line offset, below ::GUSE_LINES_MAX.
 * @param consumer Label shorter than ::GUSE_NAME_SIZE; NULL or "" removes
 *        the hog.
 * @param direction ::guse_line_direction value (replaces the one set by
 *        guse_chip_config_set_line_direction()).
 * @param value The level of an output hog, 0 or 1 (0 for an input).
 * @return 0, or -1 with errno EINVAL or ENOMEM.
 */
GUSE_API int guse_chip_config_set_line_hog(struct guse_chip_config *cfg,
					   unsigned int line,
					   const char *consumer,
					   int direction, int value);

/**
 * @brief Say whether a line exists on the modelled controller.
 *
 * All lines are valid by default.  An invalid line is left out of gpiolib's
 * valid mask (gpio-sim's "valid" attribute): requests of it fail with
 * EINVAL, gpioinfo shows it as used, it has no interrupt, and
 * guse_chip_set_inputs() must not set it.  An invalid line cannot be a hog
 * or start as an output (guse_chip_new() fails with EINVAL).
 *
 * @param cfg Configuration.
 * @param line Line offset, below ::GUSE_LINES_MAX.
 * @param valid false to leave the line out.
 * @return 0, or -1 with errno EINVAL or ENOMEM.
 */
GUSE_API int guse_chip_config_set_line_valid(struct guse_chip_config *cfg,
					     unsigned int line, bool valid);

/** @} */

/**
 * @defgroup chip Chips and requests
 * @{
 */

/** Opaque chip: one /dev/guse connection. */
struct guse_chip;

/**
 * @brief A request from the kernel that must be answered exactly once.
 *
 * A request is handed to a callback of ::guse_chip_ops and is answered with
 * one of the guse_reply_*() functions:
 *
 * - in the callback; or
 * - later, from any thread, if the callback called guse_request_defer()
 *   before it returned (and before it handed the request to another
 *   thread).
 *
 * A callback that returns without answering or deferring its request has
 * it answered with EIO by the library, so a forgotten request fails at once
 * instead of making the consumer wait for the timeout.
 *
 * Answering frees the request, once its callback has returned: the pointer
 * is invalid after the reply (or, for a reply inside the callback, after
 * the callback), so a second reply is a use after free, as with libfuse's
 * fuse_req_t; a second reply inside the callback itself fails with EINVAL.
 *
 * Deferred requests outlive guse_chip_free(): each must still be answered,
 * and the reply then fails with ENODEV and frees the request.  Until the
 * last one is answered the chip's memory stays allocated (its connection is
 * closed at once), and guse_request_get_chip(), guse_request_get_user_data()
 * and guse_request_get_type() keep working on them.
 */
struct guse_request;

/**
 * @brief Callbacks of a server.
 *
 * Pass the table with its size (sizeof(struct guse_chip_ops)) to
 * guse_chip_new(): the library copies what the caller's version of the
 * structure contains and treats later additions as NULL, so binaries built
 * against an older header keep working.
 *
 * Every callback is optional.  A NULL callback is answered by the library
 * from its built-in line state (see guse_reply_default()).  When a callback
 * is set, the library still updates its line state when the server replies
 * with success and the kernel takes the reply, so the guse_chip_get_*()
 * getters always reflect what the consumers saw: a reply that comes too
 * late (the request timed out in the kernel) changes nothing.
 *
 * Callbacks run in the thread calling guse_chip_dispatch() (or the loop),
 * never with a library lock held: they may call any library function,
 * including guse_chip_set_input() and guse_chip_free() on their own chip.
 * Each request callback answers its request or defers it (see
 * ::guse_request).
 *
 * Which request kinds the kernel sends depends on which callbacks are set
 * (see guse_chip_config_set_track_all()).
 */
struct guse_chip_ops {
	/**
	 * A consumer requests @p line.  @p consumer may be empty; then the
	 * label follows in the consumer callback.  Reply ok to grant it or
	 * an error (e.g. EBUSY) to refuse it.
	 */
	void (*request)(struct guse_request *req, unsigned int line,
			const char *consumer);
	/** A consumer released @p line.  Reply ok. */
	void (*free)(struct guse_request *req, unsigned int line);
	/**
	 * Information only, no reply: the consumer label of a requested
	 * line became known.  The library's state is already updated.
	 */
	void (*consumer)(struct guse_chip *chip, unsigned int line,
			 const char *consumer);
	/** Reply with guse_reply_direction(). */
	void (*get_direction)(struct guse_request *req, unsigned int line);
	/** Make @p line an input.  Reply ok or an error. */
	void (*direction_input)(struct guse_request *req, unsigned int line);
	/** Make @p line an output driving @p value (0 or 1). */
	void (*direction_output)(struct guse_request *req, unsigned int line,
				 int value);
	/**
	 * Read the lines set in @p mask (guse_chip_get_num_words() words,
	 * valid until the reply).  Reply with guse_reply_values().
	 *
	 * The mask holds only lines the kernel records as outputs, unless
	 * the configuration asked for input reads too
	 * (guse_chip_config_set_serve_input_reads(), which explains the
	 * consequences); this callback alone does not change that.
	 */
	void (*get_values)(struct guse_request *req, const uint64_t *mask);
	/** Drive @p values onto the lines set in @p mask.  Reply ok. */
	void (*set_values)(struct guse_request *req, const uint64_t *mask,
			   const uint64_t *values);
	/**
	 * Configure @p line.  @p arg is the debounce period in microseconds
	 * for ::GUSE_LINE_PARAM_INPUT_DEBOUNCE (0 turns it off), else 0.
	 * Reply ok, or guse_reply_error() with EOPNOTSUPP to decline: gpiolib
	 * then falls back (e.g. to software debounce).
	 */
	void (*set_config)(struct guse_request *req, unsigned int line,
			   enum guse_line_param param, uint32_t arg);
	/**
	 * The interrupt of @p line is now of @p type and enabled or disabled
	 * (::GUSE_LINE_IRQ_F_ENABLED in @p flags).  Reply ok.
	 */
	void (*irq_config)(struct guse_request *req, unsigned int line,
			   enum guse_line_irq_type type, uint32_t flags);
};

/**
 * @brief Open the guse device and create a chip.
 *
 * Writes the CREATE message and waits (up to 10 s) for the kernel's READY.
 *
 * @param cfg Configuration; only read, can be freed afterwards.
 * @param ops Callbacks, or NULL for none.
 * @param ops_size sizeof(struct guse_chip_ops) as the caller knows it.
 * @param user_data Returned by guse_chip_get_user_data().
 * @return New chip, or NULL with errno set: EINVAL (bad configuration),
 *         the errno of open() or of the CREATE write, EPROTO (the kernel
 *         answered something unexpected), ETIMEDOUT, ENOMEM.
 */
GUSE_API struct guse_chip *guse_chip_new(const struct guse_chip_config *cfg,
					 const struct guse_chip_ops *ops,
					 size_t ops_size, void *user_data);

/**
 * @brief Create a chip on an already open guse file descriptor.
 *
 * For privilege separation and tests.  The library sets O_NONBLOCK on the
 * file.  On success the chip owns @p fd and closes it in guse_chip_free();
 * on failure the caller still owns it, with its file status flags as they
 * were.  The device path of @p cfg is not used.
 *
 * @return As guse_chip_new().
 */
GUSE_API struct guse_chip *guse_chip_new_fd(int fd,
					    const struct guse_chip_config *cfg,
					    const struct guse_chip_ops *ops,
					    size_t ops_size, void *user_data);

/**
 * @brief Remove the chip: close the connection and free the chip.
 *
 * The chip is removed from its ::guse_loop first, then the connection is
 * closed, which removes the chip in the kernel (consumers waiting for a
 * reply get ENODEV).  Requests that were deferred and not answered yet stay
 * valid: answering them fails with ENODEV and frees them, from any thread,
 * also while this call runs; the chip's memory goes with the last of them.
 *
 * A callback may free its own chip: guse_chip_dispatch() then returns the
 * number of messages handled so far and guse_chip_run() returns 0.
 * Otherwise no other thread may use the chip during or after this call,
 * except to answer its deferred requests.
 *
 * @param chip Chip, may be NULL.
 */
GUSE_API void guse_chip_free(struct guse_chip *chip);

/**
 * @brief Name of the GPIO character device, e.g. "gpiochip3".
 * @param chip Chip.
 * @return String valid as long as the chip.
 */
GUSE_API const char *guse_chip_get_name(struct guse_chip *chip);

/**
 * @brief Name of the guse device in /sys/class/guse, e.g. "guse0".
 * @param chip Chip.
 * @return String valid as long as the chip.
 */
GUSE_API const char *guse_chip_get_dev_name(struct guse_chip *chip);

/**
 * @brief The chip label.
 * @param chip Chip.
 * @return String valid as long as the chip.
 */
GUSE_API const char *guse_chip_get_label(struct guse_chip *chip);

/**
 * @brief Name of a line.
 * @param chip Chip.
 * @param line Line offset.
 * @return The name ("" when unnamed, valid as long as the chip), or NULL with
 *         errno EINVAL for a bad line.
 */
GUSE_API const char *guse_chip_get_line_name(struct guse_chip *chip,
					     unsigned int line);

/**
 * @brief Number of lines.
 * @param chip Chip.
 * @return Number of lines.
 */
GUSE_API unsigned int guse_chip_get_num_lines(struct guse_chip *chip);

/**
 * @brief Number of 64-bit words of each line bitmap of this chip.
 * @param chip Chip.
 * @return GUSE_BITMAP_WORDS(number of lines).
 */
GUSE_API unsigned int guse_chip_get_num_words(struct guse_chip *chip);

/**
 * @brief Global GPIO number of line 0 (legacy sysfs interface).
 * @param chip Chip.
 * @return The base.
 */
GUSE_API unsigned int guse_chip_get_base(struct guse_chip *chip);

/**
 * @brief Request timeout in force, as the kernel reported it.
 * @param chip Chip.
 * @return Milliseconds.
 */
GUSE_API unsigned int guse_chip_get_timeout_ms(struct guse_chip *chip);

/**
 * @brief The user data passed to guse_chip_new().
 * @param chip Chip.
 * @return User data.
 */
GUSE_API void *guse_chip_get_user_data(struct guse_chip *chip);

/**
 * @brief File descriptor to watch for readability (poll, epoll).
 *
 * When it is readable call guse_chip_dispatch().  Do not read or write it.
 *
 * @param chip Chip.
 * @return The descriptor.
 */
GUSE_API int guse_chip_get_fd(struct guse_chip *chip);

/**
 * @brief Handle every message available without blocking.
 *
 * Reads each message, validates it and calls the callbacks or answers it
 * from the built-in state.  Malformed messages are dropped or answered with
 * EINVAL (unknown requests with EOPNOTSUPP); they never reach callbacks.
 * Call it from one thread at a time per chip.  If a callback frees the chip
 * (guse_chip_free()), it stops there; the chip must not be used afterwards.
 *
 * @param chip Chip.
 * @return Number of messages handled (0 if none was available), or -1 with
 *         errno when the connection failed (ENODEV: the chip is gone).
 */
GUSE_API int guse_chip_dispatch(struct guse_chip *chip);

/**
 * @brief Serve the chip until guse_chip_exit() or an error.
 * @param chip Chip.
 * @return 0 after guse_chip_exit() or after a callback freed the chip, -1
 *         with errno on error.
 */
GUSE_API int guse_chip_run(struct guse_chip *chip);

/**
 * @brief Make guse_chip_run() return.
 *
 * Async-signal-safe and thread-safe; if the chip is not running the next
 * guse_chip_run() returns at once.
 *
 * @param chip Chip.
 */
GUSE_API void guse_chip_exit(struct guse_chip *chip);

/**
 * @brief Set the pull of one line: the level it reads when nothing drives
 *        it (thread-safe).
 *
 * See @ref simulated; as guse_chip_set_inputs() for one line.
 *
 * @param chip Chip.
 * @param line Line offset.
 * @param value 0 or nonzero.
 * @return 0, or -1 with errno.
 */
GUSE_API int guse_chip_set_input(struct guse_chip *chip, unsigned int line,
				 int value);

/**
 * @brief Set the pulls of several lines at once (thread-safe).
 *
 * Sends one SET_INPUTS message and, once the kernel took it, updates the
 * lines' pulls; if the write fails they stay as they were.  Inputs read
 * the new levels, and their changes are edges for the consumers watching
 * them; a driven output keeps driving its value (see @ref simulated).  A
 * GET_VALUES that the resulting interrupt causes sees the new levels, also
 * when it is answered by another thread while this call has not returned
 * yet.  Injections from different threads are serialized.
 *
 * @param chip Chip.
 * @param mask Lines to set (guse_chip_get_num_words() words).
 * @param values Their levels (same size); bits outside @p mask are ignored.
 * @return 0, or -1 with errno (EINVAL: bits beyond the last line; else the
 *         write error, e.g. ENODEV when the chip is gone).
 */
GUSE_API int guse_chip_set_inputs(struct guse_chip *chip,
				  const uint64_t *mask,
				  const uint64_t *values);

/**
 * @brief The device side changes the direction of a line (thread-safe).
 *
 * See @ref device_side.  An output then drives @p value; an input reads its
 * pull.
 *
 * @param chip Chip.
 * @param line Line offset.
 * @param direction ::guse_line_direction value.
 * @param value The output's level, 0 or 1 (ignored for an input).
 * @return 0, or -1 with errno: EINVAL (bad line, direction or value, or a
 *         line left out of the valid mask), EBUSY (a host consumer holds the
 *         line: nothing changed), EOPNOTSUPP (the kernel module speaks
 *         protocol 1.0), or the write error.
 */
GUSE_API int guse_chip_set_direction(struct guse_chip *chip, unsigned int line,
				     int direction, int value);

/**
 * @brief The device side takes a line for itself (thread-safe).
 *
 * See @ref device_side.  The line keeps its direction.
 *
 * @param chip Chip.
 * @param line Line offset.
 * @param consumer Label shown by gpioinfo, non-empty and shorter than
 *        ::GUSE_NAME_SIZE, e.g. "guest:uart0".
 * @return 0, or -1 with errno: EINVAL (bad line or label), EBUSY (a host
 *         consumer holds the line, or it is claimed already), EOPNOTSUPP,
 *         or the write error.
 */
GUSE_API int guse_chip_claim_line(struct guse_chip *chip, unsigned int line,
				  const char *consumer);

/**
 * @brief The device side gives a claimed line (or a hog) back
 *        (thread-safe).
 * @param chip Chip.
 * @param line Line offset.
 * @return 0, or -1 with errno: EINVAL (bad line, or not claimed),
 *         EOPNOTSUPP, or the write error.
 */
GUSE_API int guse_chip_unclaim_line(struct guse_chip *chip, unsigned int line);

/**
 * @brief Tracked direction of a line (thread-safe).
 * @return ::guse_line_direction value, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_get_direction(struct guse_chip *chip,
				     unsigned int line);

/**
 * @brief Value a consumer drives on a line (thread-safe).
 * @return 0 or 1 (last driven value, also while the line is an input or
 *         released; the level a consumer took the line with as it is), or
 *         -1 with errno EINVAL.
 */
GUSE_API int guse_chip_get_output_value(struct guse_chip *chip,
					unsigned int line);

/**
 * @brief The pull of a line (thread-safe): the level last injected or set
 *        by a consumer's pull-up or pull-down bias (see @ref simulated).
 * @return 0 or 1, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_get_input_level(struct guse_chip *chip,
				       unsigned int line);

/**
 * @brief The current value of a line as a consumer reads it (thread-safe):
 *        the value of a driven output, else the pull (see @ref simulated).
 * @return 0 or 1, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_get_value(struct guse_chip *chip, unsigned int line);

/**
 * @brief Whether a consumer holds the line (thread-safe).
 *
 * Known only when the kernel sends REQUEST/FREE (a request, free or consumer
 * callback, or guse_chip_config_set_track_all()).
 *
 * @return 1 or 0, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_is_requested(struct guse_chip *chip, unsigned int line);

/**
 * @brief Whether the device side holds the line (thread-safe): a hog, or
 *        guse_chip_claim_line().
 * @return 1 or 0, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_is_claimed(struct guse_chip *chip, unsigned int line);

/**
 * @brief Copy the consumer label of a line (thread-safe): the host
 *        consumer's, or the device side's label of a claimed line.
 * @param chip Chip.
 * @param line Line offset.
 * @param buf Buffer, NUL-terminated on return when @p size > 0.
 * @param size Size of @p buf; ::GUSE_NAME_SIZE always suffices.
 * @return Length of the label (as snprintf: truncated if >= @p size), or -1
 *         with errno EINVAL.
 */
GUSE_API int guse_chip_get_consumer(struct guse_chip *chip, unsigned int line,
				    char *buf, size_t size);

/**
 * @brief Last bias set on a line (thread-safe).
 * @return A GUSE_LINE_PARAM_BIAS_* value, 0 if never set, or -1 (EINVAL).
 */
GUSE_API int guse_chip_get_bias(struct guse_chip *chip, unsigned int line);

/**
 * @brief Last drive accepted for a line (thread-safe); a release forgets it
 *        (as gpiolib does), unless guse_chip_config_set_hold_outputs().
 * @return A GUSE_LINE_PARAM_DRIVE_* value, 0 if none, or -1 (EINVAL).
 */
GUSE_API int guse_chip_get_drive(struct guse_chip *chip, unsigned int line);

/**
 * @brief Debounce period last accepted for a line (thread-safe).
 * @return Microseconds (0: none), or -1 (EINVAL).
 */
GUSE_API long guse_chip_get_debounce_us(struct guse_chip *chip,
					unsigned int line);

/**
 * @brief Interrupt configuration of a line (thread-safe).
 * @param chip Chip.
 * @param line Line offset.
 * @param flags If not NULL, receives the GUSE_LINE_IRQ_F_* flags.
 * @return ::guse_line_irq_type value, or -1 with errno EINVAL.
 */
GUSE_API int guse_chip_get_irq_type(struct guse_chip *chip, unsigned int line,
				    uint32_t *flags);

/**
 * @brief The chip a request belongs to.
 * @param req Request.
 * @return The chip.
 */
GUSE_API struct guse_chip *guse_request_get_chip(struct guse_request *req);

/**
 * @brief The user data of the request's chip.
 * @param req Request.
 * @return User data passed to guse_chip_new().
 */
GUSE_API void *guse_request_get_user_data(struct guse_request *req);

/**
 * @brief Kind of the request.
 * @param req Request.
 * @return A ::guse_request_type value.
 */
GUSE_API enum guse_request_type
guse_request_get_type(struct guse_request *req);

/**
 * @brief Keep a request to answer it after its callback returned.
 *
 * Call it in the request's callback, before handing the request to another
 * thread or queue; the request is then answered later, from any thread,
 * with a guse_reply_*() function (see ::guse_request).  Without it, a
 * callback that returns without answering gets EIO answered for it.
 * Deferring a request that is answered in the callback anyway is harmless.
 *
 * @param req Request, during its callback.
 */
GUSE_API void guse_request_defer(struct guse_request *req);

/**
 * @brief Answer a request with success (no payload).
 *
 * For every kind except GET_DIRECTION and GET_VALUES, which need a payload.
 * The request is freed in all cases.  A reply whose request already timed
 * out in the kernel is not an error; the built-in line state is then left
 * as it was, since the kernel failed the request (except that a FREE still
 * releases the line).
 *
 * @param req Request.
 * @return 0, or -1 with errno: EINVAL (the request needs a payload: the
 *         kernel gets EIO instead), or the write error (ENODEV: chip gone).
 */
GUSE_API int guse_reply_ok(struct guse_request *req);

/**
 * @brief Answer a request with an error; frees the request.
 * @param req Request.
 * @param errnum Positive errno value (e.g. EBUSY; EOPNOTSUPP to decline a
 *        configuration); values <= 0 or > 133 are sent as EIO.
 * @return 0, or -1 with errno (see guse_reply_ok()).
 */
GUSE_API int guse_reply_error(struct guse_request *req, int errnum);

/**
 * @brief Answer GET_DIRECTION; frees the request.
 * @param req Request.
 * @param direction ::guse_line_direction value.
 * @return 0, or -1 with errno EINVAL (wrong request kind or direction: the
 *         kernel gets EIO), or the write error.
 */
GUSE_API int guse_reply_direction(struct guse_request *req, int direction);

/**
 * @brief Answer GET_VALUES; frees the request.
 * @param req Request.
 * @param values guse_chip_get_num_words() words; bits outside the request's
 *        mask are cleared by the library.
 * @return 0, or -1 with errno EINVAL (wrong request kind: the kernel gets
 *         EIO), or the write error.
 */
GUSE_API int guse_reply_values(struct guse_request *req,
			       const uint64_t *values);

/**
 * @brief Answer a request as the library would without a callback.
 *
 * The replies of the simulated lines (see @ref simulated): REQUEST, FREE,
 * DIRECTION_*, SET_VALUES and IRQ_CONFIG succeed; GET_DIRECTION returns the
 * tracked direction; GET_VALUES returns the value of driven outputs and the
 * pull of every other line; SET_CONFIG makes a pull-up or pull-down the
 * line's pull (injected before the reply), accepts bias disable and
 * push-pull, and declines open drain, open source (gpiolib emulates them)
 * and debounce (gpiolib debounces in software) with EOPNOTSUPP.  Frees the
 * request.
 *
 * @param req Request.
 * @return 0, or -1 with errno (see guse_reply_ok()).
 */
GUSE_API int guse_reply_default(struct guse_request *req);

/** @} */

/**
 * @defgroup loop Event loop
 *
 * A minimal epoll-based loop serving many chips in one thread.
 * @{
 */

/** Opaque event loop. */
struct guse_loop;

/**
 * @brief Create a loop.
 * @return New loop, or NULL with errno.
 */
GUSE_API struct guse_loop *guse_loop_new(void);

/**
 * @brief Free a loop; its chips are removed from it but not freed.
 * @param loop Loop, may be NULL.
 */
GUSE_API void guse_loop_free(struct guse_loop *loop);

/**
 * @brief Serve a chip from the loop.
 *
 * A chip belongs to at most one loop.  Add and remove chips while the loop
 * is not running or from its own thread (e.g. from a callback).
 *
 * @return 0, or -1 with errno (EBUSY: the chip is in a loop already).
 */
GUSE_API int guse_loop_add_chip(struct guse_loop *loop,
				struct guse_chip *chip);

/**
 * @brief Stop serving a chip (does not free it).
 * @return 0, or -1 with errno ENOENT if the chip is not in this loop.
 */
GUSE_API int guse_loop_remove_chip(struct guse_loop *loop,
				   struct guse_chip *chip);

/**
 * @brief Dispatch the loop's chips until guse_loop_exit() or an error.
 *
 * Chips are served in turn: each handles at most a few dozen messages
 * before the other ready chips get theirs, so a busy chip cannot starve
 * the others.  A callback may free its own chip or another chip of the
 * loop (guse_chip_free()); the loop then just stops serving it.
 *
 * @return 0 after guse_loop_exit(); -1 with errno when a chip failed (for
 *         example ENODEV: see guse_loop_get_failed_chip()) or epoll failed.
 */
GUSE_API int guse_loop_run(struct guse_loop *loop);

/**
 * @brief The chip whose failure made guse_loop_run() return -1.
 *
 * Typically the server frees that chip (or removes it from the loop) and
 * runs the loop again for the others.
 *
 * @param loop Loop.
 * @return The chip, still in the loop; NULL if the last guse_loop_run()
 *         returned 0 or failed in epoll, or once that chip was removed
 *         from the loop (guse_chip_free() removes it).
 */
GUSE_API struct guse_chip *guse_loop_get_failed_chip(struct guse_loop *loop);

/**
 * @brief Make guse_loop_run() return 0.
 *
 * Async-signal-safe and thread-safe.  If the loop is not running, the next
 * guse_loop_run() returns at once.
 *
 * @param loop Loop.
 */
GUSE_API void guse_loop_exit(struct guse_loop *loop);

/** @} */

/**
 * @defgroup virtio virtio-gpio adapter
 *
 * Serves a guse chip with a virtio-gpio style backend: the backend
 * implements the virtio-gpio request set and the adapter maps each guse
 * request onto it, one to one (multi-line reads and writes fan out to one
 * call per line).  The callbacks run synchronously in the dispatching
 * thread.
 * @{
 */

/** virtio-gpio direction: none (line released). */
#define GUSE_VIRTIO_DIRECTION_NONE 0x00
/** virtio-gpio direction: output. */
#define GUSE_VIRTIO_DIRECTION_OUT 0x01
/** virtio-gpio direction: input. */
#define GUSE_VIRTIO_DIRECTION_IN 0x02

/** virtio-gpio irq type: none (also: masked). */
#define GUSE_VIRTIO_IRQ_TYPE_NONE 0x00
/** virtio-gpio irq type: rising edge. */
#define GUSE_VIRTIO_IRQ_TYPE_EDGE_RISING 0x01
/** virtio-gpio irq type: falling edge. */
#define GUSE_VIRTIO_IRQ_TYPE_EDGE_FALLING 0x02
/** virtio-gpio irq type: both edges. */
#define GUSE_VIRTIO_IRQ_TYPE_EDGE_BOTH 0x03
/** virtio-gpio irq type: high level. */
#define GUSE_VIRTIO_IRQ_TYPE_LEVEL_HIGH 0x04
/** virtio-gpio irq type: low level. */
#define GUSE_VIRTIO_IRQ_TYPE_LEVEL_LOW 0x08

/** Opaque virtio-gpio adapter. */
struct guse_virtio;

/**
 * @brief A virtio-gpio backend.  Passed with its size, as ::guse_chip_ops.
 *
 * Each callback returns 0 (or the value asked for) on success and a
 * negative errno value on failure (which the consumer sees); NULL
 * callbacks make the corresponding requests fail with EOPNOTSUPP, except
 * get_names (no names) and irq_type (accepted).
 */
struct guse_virtio_ops {
	/**
	 * VIRTIO_GPIO_MSG_GET_NAMES, called once by guse_virtio_new(): fill
	 * @p buf with one NUL-terminated name per line, in line order (the
	 * virtio-gpio response format; an empty string leaves a line
	 * unnamed).  Return the number of bytes used or a negative errno.
	 */
	int (*get_names)(void *user_data, char *buf, size_t size);
	/** VIRTIO_GPIO_MSG_GET_DIRECTION: return GUSE_VIRTIO_DIRECTION_*. */
	int (*get_direction)(void *user_data, unsigned int line);
	/** VIRTIO_GPIO_MSG_SET_DIRECTION to GUSE_VIRTIO_DIRECTION_*. */
	int (*set_direction)(void *user_data, unsigned int line,
			     uint8_t direction);
	/** VIRTIO_GPIO_MSG_GET_VALUE: return 0 or 1. */
	int (*get_value)(void *user_data, unsigned int line);
	/** VIRTIO_GPIO_MSG_SET_VALUE. */
	int (*set_value)(void *user_data, unsigned int line, uint8_t value);
	/**
	 * VIRTIO_GPIO_MSG_IRQ_TYPE: GUSE_VIRTIO_IRQ_TYPE_*; NONE when the
	 * interrupt is masked or disabled.
	 */
	int (*irq_type)(void *user_data, unsigned int line, uint8_t type);
};

/**
 * @brief Create a chip served by a virtio-gpio backend.
 *
 * Every read goes to the backend, inputs included: the adapter turns
 * guse_chip_config_set_serve_input_reads() on for its chip.
 * Mapping: GET_DIRECTION -> get_direction (NONE reads as input);
 * DIRECTION_INPUT -> set_direction(IN); DIRECTION_OUTPUT -> set_value then
 * set_direction(OUT) (as Linux's virtio-gpio driver); GET_VALUES and
 * SET_VALUES -> get_value / set_value per line; FREE -> set_direction(NONE);
 * IRQ_CONFIG -> irq_type (NONE while masked).  The chip's line names come
 * from get_names.  Serve the chip with guse_virtio_get_chip().
 *
 * @param cfg Configuration (label, lines, timeout, device).
 * @param ops Backend.
 * @param ops_size sizeof(struct guse_virtio_ops).
 * @param user_data Passed to every backend callback.
 * @return New adapter, or NULL with errno.
 */
GUSE_API struct guse_virtio *guse_virtio_new(const struct guse_chip_config *cfg,
					     const struct guse_virtio_ops *ops,
					     size_t ops_size, void *user_data);

/**
 * @brief As guse_virtio_new() on an open guse file descriptor (see
 *        guse_chip_new_fd()).
 */
GUSE_API struct guse_virtio *
guse_virtio_new_fd(int fd, const struct guse_chip_config *cfg,
		   const struct guse_virtio_ops *ops, size_t ops_size,
		   void *user_data);

/**
 * @brief Free the adapter and its chip.
 * @param vio Adapter, may be NULL.
 */
GUSE_API void guse_virtio_free(struct guse_virtio *vio);

/**
 * @brief The chip of the adapter, to dispatch or run it.
 * @param vio Adapter.
 * @return The chip, owned by the adapter.
 */
GUSE_API struct guse_chip *guse_virtio_get_chip(struct guse_virtio *vio);

/**
 * @brief Deliver the level of an input line (thread-safe).
 * @param vio Adapter.
 * @param line Line offset.
 * @param value Level.
 * @return 0, or -1 with errno.
 */
GUSE_API int guse_virtio_set_level(struct guse_virtio *vio, unsigned int line,
				   int value);

/**
 * @brief The backend's interrupt for @p line fired (a virtio-gpio irq event).
 *
 * Reads the line with get_value and delivers that level.  If the level did
 * not change and the line's trigger is an edge, it first delivers the
 * opposite level, so that consumers see the interrupt (an edge-both trigger
 * then reports two edges).  Level triggers just get the level.
 *
 * @param vio Adapter.
 * @param line Line offset.
 * @return 0, or -1 with errno.
 */
GUSE_API int guse_virtio_inject_irq(struct guse_virtio *vio,
				    unsigned int line);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* GUSE_H */
