/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <linux/bpf.h>
#include <linux/types.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "helper.h"
#include "kcc-lsm.h"
#include "log.h"
#include "lsm-events.h"
#include "ringbuf.h"

static int ring_fd = -EBADF, bss_fd = -EBADF, links[LSM_HANDOFF_MAX_LINKS];
static unsigned n_links;
static size_t page, bss_len;
static Ringbuf ring;
static const uint8_t *bss;
static uint64_t dropped_seen;
static size_t dropped_offset;

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case KCC_LSM_EXEC: return "exec";
	case KCC_LSM_MMAP: return "executable mapping";
	case KCC_LSM_PTRACE: return "ptrace";
	case KCC_LSM_BPF: return "BPF";
	case KCC_LSM_USERNS: return "user namespace creation";
	case KCC_LSM_ANON_EXEC: return "anonymous executable memory";
	case KCC_LSM_PROCMEM: return "write to /proc/PID/mem";
	default: return "operation";
	}
}

static void log_event(const void *data, size_t len, void *userdata)
{
	const struct kcc_lsm_event *e = data;
	char comm[sizeof(e->comm) + 1];

	(void)userdata;
	if (len < sizeof(*e))
		return;
	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = '\0';
	if (e->kind == KCC_LSM_EXEC || e->kind == KCC_LSM_MMAP)
		log_warning("bpf-lsm: denied %s of inode %llu on device %u:%u (not the verity root) "
			    "to pid %u (%s)",
			    kind_name(e->kind), (unsigned long long)e->ino, e->dev >> 20,
			    e->dev & 0xfffff, e->pid, comm);
	else if (e->kind == KCC_LSM_WX)
		log_warning("bpf-lsm: denied a writable and executable mapping of inode %llu "
			    "to pid %u (%s)",
			    (unsigned long long)e->ino, e->pid, comm);
	else if (e->kind == KCC_LSM_EXECMOD)
		log_warning("bpf-lsm: denied making copy-on-write pages of inode %llu executable "
			    "to pid %u (%s)",
			    (unsigned long long)e->ino, e->pid, comm);
	else if (e->kind == KCC_LSM_PROCSYS)
		log_warning("bpf-lsm: denied a write to /proc/sys (inode %llu) to pid %u (%s)",
			    (unsigned long long)e->ino, e->pid, comm);
	else if (e->kind == KCC_LSM_PTRACE)
		log_warning("bpf-lsm: denied ptrace of pid %u to pid %u (%s)", e->target, e->pid, comm);
	else if (e->kind == KCC_LSM_SIGNAL)
		log_warning("bpf-lsm: denied a signal to pid %u from pid %u (%s)", e->target,
			    e->pid, comm);
	else if (e->kind == KCC_LSM_SIGIO)
		log_warning("bpf-lsm: denied an I/O signal (F_SETOWN) to pid %u, raised by pid %u "
			    "(%s)",
			    e->target, e->pid, comm);
	else if (e->kind == KCC_LSM_BPF)
		log_warning("bpf-lsm: denied BPF %s to pid %u (%s)",
			    e->target == BPF_PROG_LOAD ? "program load" : "object access", e->pid,
			    comm);
	else
		log_warning("bpf-lsm: denied %s to pid %u (%s)", kind_name(e->kind), e->pid, comm);
}

static void close_all(void)
{
	if (ring.consumer_pos)
		munmap(ring.consumer_pos, page);
	if (ring.producer_pos)
		munmap((void *)ring.producer_pos, page + 2 * ring.size);
	if (bss)
		munmap((void *)bss, bss_len);
	ring = (Ringbuf){};
	bss = NULL;
	for (unsigned i = 0; i < n_links; i++)
		close(links[i]);
	n_links = 0;
	if (ring_fd >= 0)
		close(ring_fd);
	if (bss_fd >= 0)
		close(bss_fd);
	ring_fd = bss_fd = -EBADF;
}

/* One message: the LsmHandoff and its descriptors, all of them or an error. */
static int receive(int sock, LsmHandoff *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (LSM_HANDOFF_MAX_LINKS + 2))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	unsigned nfds = 0;
	int fds[LSM_HANDOFF_MAX_LINKS + 2];
	ssize_t k;

	do
		k = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		nfds = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
	}
	if (k <= 1 && nfds == 0)
		return -EIO; /* the loader's HELPER_FAILED, or its exit */
	if ((size_t)k != sizeof(*h) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    h->magic != LSM_HANDOFF_MAGIC || h->n_links > LSM_HANDOFF_MAX_LINKS ||
	    nfds != h->n_links + 2) {
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return -EBADMSG;
	}
	ring_fd = fds[0];
	bss_fd = fds[1];
	n_links = h->n_links;
	memcpy(links, fds + 2, n_links * sizeof(int));
	return 0;
}

static int map_all(const LsmHandoff *h)
{
	void *p;

	page = (size_t)sysconf(_SC_PAGESIZE);
	ring.size = h->ring_size;
	if (ring.size == 0 || (ring.size & (ring.size - 1)) ||
	    h->dropped_offset + sizeof(uint64_t) > h->bss_size)
		return -EBADMSG;
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	ring.consumer_pos = p;
	p = mmap(NULL, page + 2 * ring.size, PROT_READ, MAP_SHARED, ring_fd, (off_t)page);
	if (p == MAP_FAILED)
		return -errno;
	ring.producer_pos = p;
	ring.data = (const uint8_t *)p + page;
	bss_len = (h->bss_size + page - 1) / page * page;
	p = mmap(NULL, bss_len, PROT_READ, MAP_SHARED, bss_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	bss = p;
	dropped_offset = h->dropped_offset;
	return 0;
}

int lsm_events_load(const char *const args[])
{
	const char *argv[8] = { "load-lsm" };
	LsmHandoff h;
	int r, sock;

	for (size_t i = 0; args[i] && i + 2 < ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];
	sock = sysinit_helper_send(argv);
	if (sock < 0)
		return sock;
	r = receive(sock, &h);
	if (r < 0)
		return log_error_errno(r, "kcc-init sysinit-helper: the BPF LSM did not come over%s",
				       r == -EIO ? " (the loader logged why)" : ": %m");
	r = map_all(&h);
	if (r < 0) {
		log_error_errno(r, "Failed to map the BPF LSM ring buffer: %m");
		close_all();
	}
	return r;
}

int lsm_events_fd(void)
{
	return ring_fd;
}

void lsm_events_consume(void)
{
	uint64_t dropped;

	if (!ring.consumer_pos)
		return;
	(void)ringbuf_consume(&ring, log_event, NULL);
	dropped = __atomic_load_n((const uint64_t *)(bss + dropped_offset), __ATOMIC_RELAXED);
	if (dropped != dropped_seen) {
		log_warning("bpf-lsm: %llu denials not logged (rate limit)",
			    (unsigned long long)(dropped - dropped_seen));
		dropped_seen = dropped;
	}
}

void lsm_events_close(void)
{
	if (ring_fd < 0)
		return;
	lsm_events_consume();
	close_all();
	log_info("BPF LSM detached: only PID 1 is left, and it moves to the exit root");
}
