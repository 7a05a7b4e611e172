/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-forward: the node's security events to the SOC's SIEM (docs/events.md). Reads the kernel
 * log, keeps what the catalogue names (lib/events/kmsg.c), rate-limits floods per type, spools
 * every event on /var before it is sent (lib/events/spool.c) and sends the spool over RFC 5425
 * (sender.c). Nothing is lost silently: what the spool or the rate limit drops becomes a counted
 * record of its own.
 *   kcc-forward run --destination HOST:PORT --ca PEM --cert PEM --key PEM --spool DIR
 *                   [--kmsg PATH] [--quota BYTES] [--host NAME] [--boot-id ID]
 *                   [--once [--timeout S]]
 * --once: read PATH (a file of records, one a line) to its end, send everything, exit 0 when the
 * collector has it all (1 after S seconds, default 60, without). Exit codes: 0, 1 failure,
 * 100 usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <openssl/err.h>

#include "event.h"
#include "kmsg.h"
#include "log.h"
#include "loop.h"
#include "ratelimit.h"
#include "sender.h"
#include "spool.h"
#include "syslog.h"
#include "util.h"

#define TICK_MS 200
#define SUMMARY_MS 10000

static struct {
	const char *dest, *ca, *cert, *key, *spool, *kmsg, *host, *boot_id;
	uint64_t quota;
	bool once;
	unsigned long timeout_s;
} arg = { .kmsg = "/dev/kmsg", .quota = 64ULL << 20, .timeout_s = 60 };

typedef struct State {
	char boot[40];
	uint64_t kmsg_seq, event_seq;
} State;

static State state;
static Spool *spool;
static Sender sender;
static RateLimit rl;
static char hostname[64];
static volatile sig_atomic_t stop;
static Source kmsg_src, tick_src, conn_src;
static int tick_fd = -EBADF;
static unsigned long long last_summary_ms;

static unsigned long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

/* A kernel log timestamp (CLOCK_MONOTONIC, us) as wall-clock time (us). */
static uint64_t realtime_of(uint64_t mono_us)
{
	struct timespec rt, mt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	uint64_t now_rt = (uint64_t)rt.tv_sec * 1000000 + (uint64_t)rt.tv_nsec / 1000;
	uint64_t now_mt = (uint64_t)mt.tv_sec * 1000000 + (uint64_t)mt.tv_nsec / 1000;
	return mono_us && mono_us <= now_mt ? now_rt - (now_mt - mono_us) : now_rt;
}

static int save_state(void)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s %" PRIu64 " %" PRIu64 "\n", state.boot,
			 state.kmsg_seq, state.event_seq);
	char tmp[512], path[512];
	_cleanup_close_ int fd = -EBADF;

	snprintf(tmp, sizeof(tmp), "%s/.state.tmp", arg.spool);
	snprintf(path, sizeof(path), "%s/state", arg.spool);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) < 0 || rename(tmp, path) < 0)
		return log_error_errno(-errno, "Failed to save %s: %m", path);
	return 0;
}

/* Same boot: go on after the last kernel record and event number handled; a new boot: from 1. */
static int load_state(void)
{
	_cleanup_free_ char *s = NULL, *boot = NULL;
	char path[512], b[40];
	uint64_t k, e;

	if (arg.boot_id)
		boot = strdup(arg.boot_id);
	else if (read_small_file("/proc/sys/kernel/random/boot_id", 64, &boot) >= 0)
		boot[strcspn(boot, "\n")] = '\0';
	if (!boot || strlen(boot) >= sizeof(state.boot))
		return log_error_errno(-EINVAL, "No boot ID");
	snprintf(state.boot, sizeof(state.boot), "%s", boot);
	snprintf(path, sizeof(path), "%s/state", arg.spool);
	if (read_small_file(path, 256, &s) > 0 &&
	    sscanf(s, "%39s %" SCNu64 " %" SCNu64, b, &k, &e) == 3 && streq(b, state.boot)) {
		state.kmsg_seq = k;
		state.event_seq = e;
	}
	return 0;
}

static int emit(Event *e, uint64_t mono_us)
{
	_cleanup_free_ char *buf = malloc(SPOOL_RECORD_MAX);
	int n;
	int64_t idx;

	if (!buf)
		return -ENOMEM;
	e->seq = ++state.event_seq;
	snprintf(e->boot_id, sizeof(e->boot_id), "%s", state.boot);
	snprintf(e->host, sizeof(e->host), "%s", hostname);
	e->time_us = realtime_of(mono_us);
	n = event_to_syslog(e, buf, SPOOL_RECORD_MAX);
	if (n < 0)
		return log_error_errno(n, "Failed to render event %" PRIu64 ": %m", e->seq);
	idx = spool_append(spool, event_type(e->id)->severity, buf, (size_t)n);
	if (idx < 0)
		return log_error_errno((int)idx, "Failed to spool event %" PRIu64 ": %m", e->seq);
	return save_state();
}

/* Counted drops become records of their own: the spool's (quota) and the rate limit's. */
static void account(unsigned long long now)
{
	SpoolLoss loss;

	spool_take_loss(spool, &loss);
	if (loss.total) {
		Event e = { .id = EV_EVENTS_LOST };
		char v[24];
		snprintf(e.app, sizeof(e.app), "kcc-forward");
		snprintf(e.message, sizeof(e.message), "the spool dropped %" PRIu64 " events over its quota",
			 loss.total);
		snprintf(v, sizeof(v), "%" PRIu64, loss.total);
		(void)event_add_field(&e, "count", v);
		for (int s = 0; s < 8; s++)
			if (loss.dropped[s]) {
				char k[16];
				snprintf(k, sizeof(k), "severity%d", s);
				snprintf(v, sizeof(v), "%" PRIu64, loss.dropped[s]);
				(void)event_add_field(&e, k, v);
			}
		(void)emit(&e, 0);
	}
	if (now < last_summary_ms + SUMMARY_MS && !stop && !arg.once)
		return;
	last_summary_ms = now;
	for (int i = 0; i < _EV_MAX; i++) {
		uint64_t n = ratelimit_take_suppressed(&rl, (EventId)i);
		Event e = { .id = EV_EVENTS_SUPPRESSED };
		char v[24];

		if (!n)
			continue;
		snprintf(e.app, sizeof(e.app), "kcc-forward");
		snprintf(e.message, sizeof(e.message), "%" PRIu64 " %s events suppressed (more than %d/s)",
			 n, event_type((EventId)i)->msgid, RATE_PER_S);
		(void)event_add_field(&e, "suppressed_id", event_type((EventId)i)->msgid);
		snprintf(v, sizeof(v), "%" PRIu64, n);
		(void)event_add_field(&e, "count", v);
		(void)emit(&e, 0);
	}
}

static void handle_record(const char *rec, size_t len)
{
	KmsgRecord *r = malloc(sizeof(*r));
	Event *e = calloc(1, sizeof(*e));

	if (!r || !e || kmsg_parse(rec, len, r) < 0)
		goto out;
	/* A restart in the same boot reads the kernel log from its start again. */
	if (r->seq <= state.kmsg_seq && state.kmsg_seq != 0)
		goto out;
	state.kmsg_seq = r->seq;
	if (kmsg_classify(r, e) == EV_INVALID || !ratelimit_take(&rl, e->id, mono_ms()))
		goto out;
	(void)emit(e, r->usec);
out:
	free(r);
	free(e);
}

static void on_kmsg(Source *s, uint32_t events)
{
	char buf[8192];

	(void)events;
	for (int i = 0; i < 256; i++) {
		ssize_t n = read(s->fd, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE) {
			/* The kernel overwrote records before we read them. */
			Event e = { .id = EV_EVENTS_LOST };
			snprintf(e.app, sizeof(e.app), "kcc-forward");
			snprintf(e.message, sizeof(e.message),
				 "kernel log records were overwritten before they were read");
			(void)event_add_field(&e, "source", "kmsg");
			(void)emit(&e, 0);
			continue;
		}
		if (n <= 0)
			return;
		handle_record(buf, (size_t)n);
	}
}

/* A test's kernel log: a file of records, one a line. */
static int read_kmsg_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return log_error_errno(-errno, "Failed to open %s: %m", path);
	while ((n = getline(&line, &cap, f)) > 0)
		handle_record(line, (size_t)n);
	return 0;
}

static void on_conn(Source *s, uint32_t events)
{
	char c;

	(void)events;
	(void)s;
	/* The collector says nothing in RFC 5425: readable means closed or broken. */
	if (sender.ssl && SSL_read(sender.ssl, &c, 1) <= 0) {
		unsigned long e = ERR_get_error();
		/* With TLS 1.3 a collector that refuses our certificate does so after the handshake. */
		log_warning("collector %s:%u closed the connection (%s); events are kept and sent again",
			    sender.host, sender.port,
			    e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) :
			    "no reason given: it may refuse this node's certificate");
		ERR_clear_error();
		loop_del(&conn_src);
		sender_drop(&sender, mono_ms());
	}
}

static void on_tick(Source *s, uint32_t events)
{
	unsigned long long now = mono_ms();
	uint64_t v;
	int r;

	(void)events;
	(void)!read(s->fd, &v, sizeof(v));
	account(now);
	if (!sender_connected(&sender)) {
		r = sender_connect(&sender, now);
		if (r < 0)
			log_warning("collector %s:%u: %s; retrying", sender.host, sender.port, sender.err);
		if (r > 0) {
			log_info("connected to %s:%u (TLS 1.3)", sender.host, sender.port);
			(void)loop_add(&conn_src, SSL_get_fd(sender.ssl), on_conn);
		}
	}
	r = sender_pump(&sender, spool, now);
	if (r < 0) {
		log_warning("collector %s:%u: %s; events are kept and sent again", sender.host,
			    sender.port, sender.err);
		loop_del(&conn_src);
	}
	(void)timer_arm(s->fd, TICK_MS);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

_Noreturn static void usage(const char *msg)
{
	fprintf(stderr, "kcc-forward: %s\nusage: kcc-forward run --destination HOST:PORT --ca PEM "
		"--cert PEM --key PEM --spool DIR [--kmsg PATH] [--quota BYTES] [--host NAME] "
		"[--boot-id ID] [--once [--timeout S]]\n", msg);
	exit(100);
}

static void parse_args(int argc, char **argv)
{
	if (argc < 2 || !streq(argv[1], "run"))
		usage("the command is run");
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long q;
		if (streq(o, "--once")) {
			arg.once = true;
			continue;
		}
		if (!v)
			usage("an option lacks its value");
		i++;
		if (streq(o, "--destination"))
			arg.dest = v;
		else if (streq(o, "--ca"))
			arg.ca = v;
		else if (streq(o, "--cert"))
			arg.cert = v;
		else if (streq(o, "--key"))
			arg.key = v;
		else if (streq(o, "--spool"))
			arg.spool = v;
		else if (streq(o, "--kmsg"))
			arg.kmsg = v;
		else if (streq(o, "--host"))
			arg.host = v;
		else if (streq(o, "--boot-id"))
			arg.boot_id = v;
		else if (streq(o, "--quota")) {
			if (parse_uint(v, 16384, 1UL << 40, &q) < 0)
				usage("--quota: bytes, at least 16384");
			arg.quota = q;
		} else if (streq(o, "--timeout")) {
			if (parse_uint(v, 1, 3600, &arg.timeout_s) < 0)
				usage("--timeout: seconds, 1 to 3600");
		} else
			usage("unknown option");
	}
	if (!arg.dest || !arg.ca || !arg.cert || !arg.key || !arg.spool)
		usage("--destination, --ca, --cert, --key and --spool are needed");
}

int main(int argc, char **argv)
{
	char host[256];
	const char *colon;
	unsigned long port;
	unsigned long long start;
	struct stat st;
	int r, fd;

	parse_args(argc, argv);
	log_set_ident("kcc-forward");
	colon = strrchr(arg.dest, ':');
	if (!colon || colon == arg.dest || (size_t)(colon - arg.dest) >= sizeof(host) ||
	    parse_uint(colon + 1, 1, 65535, &port) < 0)
		usage("--destination: HOST:PORT");
	snprintf(host, sizeof(host), "%.*s", (int)(colon - arg.dest), arg.dest);
	if (arg.host)
		snprintf(hostname, sizeof(hostname), "%s", arg.host);
	else if (gethostname(hostname, sizeof(hostname)) < 0)
		snprintf(hostname, sizeof(hostname), "-");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	r = spool_open(arg.spool, arg.quota, &spool);
	if (r < 0)
		return log_error_errno(r, "Failed to open the spool %s: %m", arg.spool), 1;
	if (load_state() < 0)
		return 1;
	if (sender_init(&sender, host, (unsigned)port, arg.ca, arg.cert, arg.key) < 0)
		return log_error("TLS: %s", sender.err), 1;
	ratelimit_init(&rl, mono_ms());
	if (loop_init() < 0 || (tick_fd = timer_new()) < 0 ||
	    loop_add(&tick_src, tick_fd, on_tick) < 0 || timer_arm(tick_fd, 1) < 0)
		return log_error("Failed to set up the loop"), 1;
	/* The kernel's log is the character device 1:11; anything else is a file of records. */
	if (stat(arg.kmsg, &st) == 0 && !(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
					  minor(st.st_rdev) == 11)) {
		if (read_kmsg_file(arg.kmsg) < 0)
			return 1;
	} else {
		fd = open(arg.kmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || loop_add(&kmsg_src, fd, on_kmsg) < 0)
			return log_error_errno(-errno, "Failed to open %s: %m", arg.kmsg), 1;
		on_kmsg(&kmsg_src, 0);
	}
	log_info("forwarding to %s:%u, spool %s (%" PRIu64 " bytes waiting)", host, (unsigned)port,
		 arg.spool, spool_bytes(spool));
	start = mono_ms();
	while (!stop) {
		r = loop_run_once(TICK_MS);
		if (r < 0 && r != -EINTR)
			return log_error_errno(r, "The loop failed: %m"), 1;
		if (arg.once) {
			uint64_t idx;
			int sev;
			size_t len;
			char b[1];
			/* Done when the collector has taken everything. */
			if (spool_next(spool, spool_acked(spool), &idx, &sev, b, 0, &len) == 0)
				break;
			if (mono_ms() - start > arg.timeout_s * 1000) {
				log_error("the collector did not take everything within %lu s",
					  arg.timeout_s);
				return 1;
			}
		}
	}
	sender_free(&sender);
	spool_close(spool);
	return 0;
}
