/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-forward: the node's security events to the SOC's SIEM (docs/events.md). Reads the kernel
 * log, keeps what the catalogue names (lib/events/kmsg.c), rate-limits floods per type, spools
 * every event on /var before it is sent (lib/events/spool.c) and sends the spool over RFC 5425
 * (sender.c). Nothing is lost silently: what the spool or the rate limit drops becomes a counted
 * record of its own.
 *   kcc-forward run (--destination HOST:PORT | --destination-file PATH) --ca PEM --cert PEM
 *                   --key PEM --spool DIR [--kmsg PATH] [--socket PATH] [--ready-fd N]
 *                   [--quota BYTES] [--host NAME] [--boot-id ID] [--once [--timeout S]]
 * --socket: the local event socket (docs/events.md), datagrams from root's processes only;
 * --ready-fd: a newline on fd N once the socket is bound (the service's readiness). Without a
 * certificate yet (the join writes it) events are spooled and sent once it exists.
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
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <time.h>

#include <openssl/err.h>

#include "audit.h"
#include "dgram.h"
#include "event.h"
#include "inbox.h"
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
	const char *dest, *dest_file, *ca, *cert, *key, *spool, *kmsg, *host, *boot_id, *socket;
	unsigned long ready_fd;
	bool has_ready_fd;
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
static Source kmsg_src, tick_src, conn_src, sock_src, audit_src;
/* Audit records come on the netlink socket and (rate-limited) in the kernel log: the serials of
 * the last ones handled, so each is sent once (a slot per serial modulo the size). */
static uint64_t audit_seen[1024];
static uint64_t audit_lost_seen;
static uint64_t sock_refused, sock_malformed;
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

static int spool_event(Event *e)
{
	return emit(e, 0);
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

static void emit_loss(const char *source, const char *message, uint64_t count, uint64_t total)
{
	Event e = { .id = EV_EVENTS_LOST };
	char v[24];

	snprintf(e.app, sizeof(e.app), "kcc-forward");
	snprintf(e.message, sizeof(e.message), "%s", message);
	(void)event_add_field(&e, "source", source);
	if (count) {
		snprintf(v, sizeof(v), "%" PRIu64, count);
		(void)event_add_field(&e, "count", v);
	}
	if (total) {
		snprintf(v, sizeof(v), "%" PRIu64, total);
		(void)event_add_field(&e, "kernel_total", v);
	}
	(void)emit(&e, 0);
}

/* One audit record, from either source: once per serial, classified, rate-limited. */
static void handle_audit(const AuditRecord *a, uint64_t mono_us)
{
	Event *e;
	uint64_t *slot = &audit_seen[a->serial % ARRAY_SIZE(audit_seen)];

	if (*slot == a->serial)
		return;
	*slot = a->serial;
	e = calloc(1, sizeof(*e));
	if (e && audit_classify(a, e) != EV_INVALID && ratelimit_take(&rl, e->id, mono_ms()))
		(void)emit(e, mono_us);
	free(e);
}

/* The kernel log's "audit: type=N audit(...): ..." lines (printk-rate-limited; the records before
 * the netlink socket was bound, or all of them without it) and its loss count. */
static void handle_audit_kmsg(const char *text, uint64_t mono_us)
{
	AuditRecord *a = malloc(sizeof(*a));
	uint64_t lost;

	if (audit_lost_kmsg(text, &lost)) {
		if (lost > audit_lost_seen) {
			char m[160];
			snprintf(m, sizeof(m), "the kernel lost %" PRIu64 " audit records (%" PRIu64
				 " this boot)", lost - audit_lost_seen, lost);
			emit_loss("audit", m, lost - audit_lost_seen, lost);
			audit_lost_seen = lost;
		}
	} else if (a && audit_parse_kmsg(text, a) == 0)
		handle_audit(a, mono_us);
	free(a);
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
	/* The kernel's own lines only: a process writing to /dev/kmsg cannot use facility 0. */
	if (r->facility == 0 && startswith(r->text, "audit: ")) {
		handle_audit_kmsg(r->text, r->usec);
		goto out;
	}
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
			emit_loss("kmsg", "kernel log records were overwritten before they were read",
				  0, 0);
			continue;
		}
		if (n <= 0)
			return;
		handle_record(buf, (size_t)n);
	}
}

static void on_audit_message(int type, const char *text, size_t len, void *userdata)
{
	AuditRecord *a = malloc(sizeof(*a));

	(void)userdata;
	if (a && audit_parse(type, text, len, a) == 0)
		handle_audit(a, 0);
	free(a);
}

/* The audit records the kernel multicasts to AUDIT_NLGRP_READLOG (CAP_AUDIT_READ): not rate
 * limited; a full receive buffer is counted as a loss. Only the kernel's messages (port 0) count. */
static void on_audit(Source *s, uint32_t events)
{
	static char buf[16384]; /* records are at most 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH) */

	(void)events;
	for (int i = 0; i < 256; i++) {
		struct sockaddr_nl from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
				     &fl);

		if (n < 0 && errno == ENOBUFS) {
			emit_loss("audit-netlink", "audit records were dropped: the forwarder's "
				  "receive buffer was full", 0, 0);
			continue;
		}
		if (n <= 0)
			return;
		if (fl != sizeof(from) || from.nl_pid != 0)
			continue;
		audit_netlink_each(buf, (size_t)n, on_audit_message, NULL);
	}
}

static int open_audit(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1) };
	int size = 4 << 20, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
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

/* One datagram of the local socket: from root's processes only (the kernel's SCM_CREDENTIALS,
 * which a sender cannot forge without CAP_SETUID), parsed strictly (lib/events/dgram.c). */
static void handle_datagram(const char *buf, size_t len, const struct ucred *cred)
{
	Event *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return;
	if (!cred || cred->uid != 0) {
		if (sock_refused++ % 100 == 0)
			log_warning("events socket: refused a datagram from uid %d (only root's "
				    "services send events; %" PRIu64 " refused)",
				    cred ? (int)cred->uid : -1, sock_refused);
		goto out;
	}
	r = event_dgram_parse(buf, len, e);
	if (r < 0) {
		if (sock_malformed++ % 100 == 0)
			log_warning("events socket: %s datagram from pid %d dropped (%" PRIu64
				    " so far)", r == -EPERM ? "a forbidden" : "a malformed",
				    (int)cred->pid, sock_malformed);
		goto out;
	}
	e->pid = (uint32_t)cred->pid;
	if (ratelimit_take(&rl, e->id, mono_ms()))
		(void)emit(e, 0);
out:
	free(e);
}

static void on_socket(Source *s, uint32_t events)
{
	char buf[EVENT_DGRAM_MAX + 1];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;

	(void)events;
	for (int i = 0; i < 256; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
				    .msg_controllen = sizeof(ctl) };
		const struct ucred *cred = NULL;
		ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
				cred = (const struct ucred *)CMSG_DATA(c);
		/* A datagram cut by the buffer is over the bound: malformed. */
		handle_datagram(buf, (m.msg_flags & MSG_TRUNC) ? sizeof(buf) : (size_t)n, cred);
	}
}

/* The local event socket, writable by everyone the mount namespaces and Landlock let reach it;
 * only root's datagrams count (handle_datagram). */
static int open_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int one = 1, fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path);
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
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
	fprintf(stderr, "kcc-forward: %s\nusage: kcc-forward run (--destination HOST:PORT | "
		"--destination-file PATH) --ca PEM --cert PEM --key PEM --spool DIR [--kmsg PATH] "
		"[--socket PATH] [--ready-fd N] [--quota BYTES] [--host NAME] [--boot-id ID] "
		"[--once [--timeout S]]\n", msg);
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
		else if (streq(o, "--destination-file"))
			arg.dest_file = v;
		else if (streq(o, "--socket"))
			arg.socket = v;
		else if (streq(o, "--ready-fd")) {
			if (parse_uint(v, 3, 1024, &arg.ready_fd) < 0)
				usage("--ready-fd: a descriptor, 3 to 1024");
			arg.has_ready_fd = true;
		}
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
	if (!!arg.dest == !!arg.dest_file || !arg.ca || !arg.cert || !arg.key || !arg.spool)
		usage("--destination or --destination-file, --ca, --cert, --key and --spool are needed");
}

int main(int argc, char **argv)
{
	char host[256];
	const char *colon;
	unsigned long port;
	unsigned long long start;
	struct stat st;
	int r, fd;

	_cleanup_free_ char *dest = NULL;

	parse_args(argc, argv);
	log_set_ident("kcc-forward");
	if (arg.dest_file) {
		r = read_small_file(arg.dest_file, 512, &dest);
		if (r < 0)
			return log_error_errno(r, "Failed to read %s: %m", arg.dest_file), 100;
		dest[strcspn(dest, "\n")] = '\0';
		arg.dest = dest;
	}
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
	r = sender_init(&sender, host, (unsigned)port, arg.ca, arg.cert, arg.key);
	if (r == -ENOENT)
		log_info("%s; events are spooled until it exists", sender.err);
	else if (r < 0)
		return log_error("TLS: %s", sender.err), 1;
	ratelimit_init(&rl, mono_ms());
	/* Failed boots' records PID 1 left in the spool folder (forward/inbox.h), before any other
	 * event of this start. */
	r = inbox_take(arg.spool, spool_event);
	if (r > 0)
		log_info("inbox: %d earlier failed boot%s spooled", r, r == 1 ? "" : "s");
	if (loop_init() < 0 || (tick_fd = timer_new()) < 0 ||
	    loop_add(&tick_src, tick_fd, on_tick) < 0 || timer_arm(tick_fd, 1) < 0)
		return log_error("Failed to set up the loop"), 1;
	/* The kernel's log is the character device 1:11; anything else is a file of records. */
	if (stat(arg.kmsg, &st) == 0 && !(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
					  minor(st.st_rdev) == 11)) {
		if (read_kmsg_file(arg.kmsg) < 0)
			return 1;
	} else {
		/* Bound before the kernel log is read: a record is then in one or both, never in
		 * neither (handle_audit sends it once). */
		fd = open_audit();
		if (fd < 0 || loop_add(&audit_src, fd, on_audit) < 0)
			log_warning("audit stream: cannot read NETLINK_AUDIT (%s): audit records only "
				    "from the kernel log, where the kernel rate-limits them",
				    strerror(fd < 0 ? -fd : EIO));
		fd = open(arg.kmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 || loop_add(&kmsg_src, fd, on_kmsg) < 0)
			return log_error_errno(-errno, "Failed to open %s: %m", arg.kmsg), 1;
		on_kmsg(&kmsg_src, 0);
	}
	if (arg.socket) {
		fd = open_socket(arg.socket);
		if (fd < 0 || loop_add(&sock_src, fd, on_socket) < 0)
			return log_error_errno(fd < 0 ? fd : -EIO, "Failed to open the events socket "
					       "%s: %m", arg.socket), 1;
	}
	if (arg.has_ready_fd) {
		(void)!write((int)arg.ready_fd, "\n", 1);
		close((int)arg.ready_fd);
	}
	log_info("forwarding to %s:%u, spool %s (%" PRIu64 " bytes waiting)%s%s", host,
		 (unsigned)port, arg.spool, spool_bytes(spool), arg.socket ? ", events socket " : "",
		 arg.socket ?: "");
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
