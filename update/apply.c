/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-update apply (apply.h). */
#include <stdarg.h>

#include "apply.h"
#include "send.h"
#include "test-fault.h"
#include "util.h"

#define READ_SIZE (64u << 10)

static void result(ApplyResult *ret, int code, const char *fmt, ...) _printf_(3, 4);
static void result(ApplyResult *ret, int code, const char *fmt, ...)
{
	va_list ap;

	ret->code = code;
	va_start(ap, fmt);
	vsnprintf(ret->line, sizeof(ret->line), fmt, ap);
	va_end(ap);
}

/* Feeds fd to the reader; 0 at the end of a complete bundle, -EALREADY when the writer stopped
 * it with nothing to write, else -errno (the reader's or the writer's error). */
static int pump(int fd, BundleReader *r, int *ret_read_errno)
{
	_cleanup_free_ uint8_t *buf = malloc(READ_SIZE);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf, READ_SIZE);
		int k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*ret_read_errno = errno;
			return -EIO;
		}
		if (n == 0)
			return bundle_reader_finish(r);
		k = bundle_reader_feed(r, buf, (size_t)n);
		if (k < 0)
			return k;
	}
}

static void report_written(Node *n, SlotWriter *w, ApplyResult *ret)
{
	const BundleManifest *m = slot_writer_manifest(w);
	const char slot = n->layout.pairs[n->layout.other].letter;
	int k;

	switch (slot_writer_result(w)) {
	case SLOT_RESULT_RUNNING:
		result(ret, 0, "apply: %s is the running version: nothing to do", m->version);
		return;
	case SLOT_RESULT_ALREADY_STAGED:
	case SLOT_RESULT_STAGED:
		k = node_sentinel(n, true);
		if (k < 0) {
			result(ret, EXIT_SYSTEM, "apply: %s is staged, but writing the reboot sentinel failed: %s",
			       m->version, strerror(-k));
			return;
		}
		result(ret, 0, "apply: %s %s in slot %c (root hash %s); it boots after the next reboot", m->version,
		       slot_writer_result(w) == SLOT_RESULT_STAGED ? "staged" : "already staged", slot, m->roothash);
		/* To the SIEM (docs/events.md), whichever way the bundle came (the socket, pull mode, the
		 * command line); never blocks, a missing forwarder is a drop. */
		(void)event_sendf(EV_UPDATE_APPLIED, "kcc-update", (const char *[]){ "version", m->version, NULL },
				  "%.500s", ret->line);
		return;
	case SLOT_RESULT_NONE:
		break;
	}
	result(ret, EXIT_SYSTEM, "apply: internal error: no result");
}

void apply_stream(Node *n, const BundleKey *key, int fd, const char *what, ApplyResult *ret)
{
	SlotWriter *w = NULL;
	BundleReader *r = NULL;
	const SlotWriterConfig cfg = {
		.disk = n->disk,
		.esp = n->esp,
		.layout = &n->layout,
		.running_version = n->version,
		.node_epoch = n->epoch,
		.fault = update_test_fault, /* NULL but in test images */
	};
	int k, read_errno = 0;

	if (!node_blessed(n)) {
		result(ret, EXIT_REFUSED, "apply: refused: the running boot (%s) is not blessed yet; try again once it is",
		       n->version);
		return;
	}
	k = esp_check_writable(n->esp);
	if (k < 0) {
		result(ret, EXIT_SYSTEM, "apply: the ESP (%s) cannot be written: %s", n->esp, strerror(-k));
		return;
	}
	if (slot_writer_new(&cfg, &w) < 0 || bundle_reader_new(key, &slot_writer_callbacks, w, &r) < 0) {
		result(ret, EXIT_SYSTEM, "apply: out of memory");
		goto out;
	}
	k = pump(fd, r, &read_errno);
	if (k == -EALREADY && slot_writer_result(w) != SLOT_RESULT_NONE) {
		report_written(n, w, ret);
		goto out;
	}
	if (k == -EIO && read_errno) {
		result(ret, EXIT_SYSTEM, "apply: cannot read %s: %s", what, strerror(read_errno));
		goto out;
	}
	if (k < 0) {
		if (slot_writer_error(w)[0])
			result(ret, slot_writer_refused(w) ? EXIT_REFUSED : EXIT_SYSTEM, "apply: %s: %s", what,
			       slot_writer_error(w));
		else
			result(ret, k == -ENOMEM ? EXIT_SYSTEM : EXIT_REFUSED, "apply: %s: %s", what, bundle_reader_error(r));
		goto out;
	}
	k = slot_writer_finish(w);
	if (k < 0) {
		result(ret, EXIT_SYSTEM, "apply: %s: %s", what, slot_writer_error(w));
		goto out;
	}
	report_written(n, w, ret);
out:
	slot_writer_free(w);
	bundle_reader_free(r);
}
