/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "hex.h"
#include "util.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at *p (at most 20, no overflow) up to end; advances *p. */
static int number(const char **p, const char *end, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	while (*p < end && is_digit(**p)) {
		unsigned d = (unsigned)(**p - '0');
		if (++n > 20 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		(*p)++;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool printable(char c)
{
	return c > ' ' && c < 127;
}

/* The kernel hex-encodes an untrusted string (audit_log_n_untrustedstring) that has a space, a
 * quote, a control character or a byte over 0x7e; otherwise it quotes it. */
static int hex_value(const char *s, size_t n, char *out, size_t size)
{
	uint8_t buf[EVENT_VALUE_MAX];
	int m;

	if (n % 2 || n / 2 >= size)
		return -EINVAL;
	m = unhex(s, n, buf, sizeof(buf));
	if (m < 0)
		return m;
	for (int i = 0; i < m; i++)
		out[i] = buf[i] >= ' ' && buf[i] < 127 ? (char)buf[i] : '?';
	out[m] = '\0';
	return 0;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return n > 0;
}

/* Keys whose value the kernel writes with audit_log_untrustedstring(): quoted, or hex. */
static bool untrusted_key(const char *key)
{
	static const char *const keys[] = { "comm", "exe", "name", "cwd", "proctitle", "path" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (streq(key, keys[i]))
			return true;
	return false;
}

int audit_parse(int type, const char *text, size_t len, AuditRecord *ret)
{
	const char *p = text, *end;

	memset(ret, 0, sizeof(*ret));
	/* The record may end in NULs (netlink) and a newline; a NUL before its end is malformed. */
	while (len > 0 && (text[len - 1] == '\0' || text[len - 1] == '\n'))
		len--;
	if (memchr(text, '\0', len) || memchr(text, '\n', len) || type <= 0 || type > 65535)
		return -EINVAL;
	end = text + len;
	ret->type = type;
	if ((size_t)(end - p) < 6 || memcmp(p, "audit(", 6) != 0)
		return -EINVAL;
	p += 6;
	if (number(&p, end, &ret->sec) < 0 || p >= end || *p++ != '.' ||
	    number(&p, end, &ret->msec) < 0 || p >= end || *p++ != ':' ||
	    number(&p, end, &ret->serial) < 0 || end - p < 2 || memcmp(p, "):", 2) != 0)
		return -EINVAL;
	p += 2;
	while (p < end) {
		const char *k, *eq, *v;
		size_t kn, vn;
		char *out;

		if (*p++ != ' ' || p >= end)
			return -EINVAL;
		if (ret->n_fields == AUDIT_FIELDS_MAX)
			return -EINVAL;
		k = p;
		eq = memchr(k, '=', (size_t)(end - k));
		if (!eq || eq == k)
			return -EINVAL;
		kn = (size_t)(eq - k);
		if (kn >= sizeof(ret->fields[0].key))
			return -EINVAL;
		for (size_t i = 0; i < kn; i++)
			if (!printable(k[i]) || k[i] == '"')
				return -EINVAL;
		memcpy(ret->fields[ret->n_fields].key, k, kn);
		out = ret->fields[ret->n_fields].value;
		v = eq + 1;
		if (v < end && *v == '"') {
			const char *q = memchr(v + 1, '"', (size_t)(end - v - 1));
			if (!q)
				return -EINVAL;
			vn = (size_t)(q - v - 1);
			if (vn >= EVENT_VALUE_MAX)
				return -EINVAL;
			for (size_t i = 0; i < vn; i++)
				if (v[1 + i] < ' ' || v[1 + i] >= 127)
					return -EINVAL;
			memcpy(out, v + 1, vn);
			p = q + 1;
		} else {
			const char *sp = memchr(v, ' ', (size_t)(end - v));
			vn = (size_t)((sp ? sp : end) - v);
			if (vn == 0 || vn >= EVENT_VALUE_MAX)
				return -EINVAL;
			for (size_t i = 0; i < vn; i++)
				if (!printable(v[i]) || v[i] == '"')
					return -EINVAL;
			if (untrusted_key(ret->fields[ret->n_fields].key) && all_hex(v, vn)) {
				if (hex_value(v, vn, out, EVENT_VALUE_MAX) < 0)
					return -EINVAL;
			} else
				memcpy(out, v, vn);
			p = v + vn;
		}
		ret->n_fields++;
	}
	return 0;
}

int audit_parse_kmsg(const char *line, AuditRecord *ret)
{
	const char *p = startswith(line, "audit: type=");
	uint64_t type;

	if (!p || !is_digit(*p))
		return -ENOENT;
	if (number(&p, p + strlen(p), &type) < 0 || type > 65535 || *p != ' ')
		return -EINVAL;
	return audit_parse((int)type, p + 1, strlen(p + 1), ret);
}

bool audit_lost_kmsg(const char *line, uint64_t *ret_lost)
{
	const char *p = startswith(line, "audit: audit_lost=");
	uint64_t v;

	if (!p || number(&p, p + strlen(p), &v) < 0 || !startswith(p, " audit_rate_limit="))
		return false;
	*ret_lost = v;
	return true;
}

void audit_netlink_each(const void *buf, size_t n,
			void (*fn)(int type, const char *text, size_t len, void *userdata),
			void *userdata)
{
	size_t off = 0;

	/* Plain arithmetic on sizes, not NLMSG_OK/NLMSG_NEXT: after a last message whose length is
	 * not a multiple of 4 their signed length goes negative and, compared as a size, lets the
	 * walk read a stale "header" from past the datagram. */
	while (n - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;

		memcpy(&h, (const char *)buf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n - off)
			return;
		fn(h.nlmsg_type, (const char *)buf + off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN,
		   userdata);
		if (NLMSG_ALIGN(h.nlmsg_len) >= n - off)
			return;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
}

const char *audit_field(const AuditRecord *r, const char *key)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (streq(r->fields[i].key, key))
			return r->fields[i].value;
	return NULL;
}

/* code=0x...: the filter's return value (include/uapi/linux/seccomp.h). */
static const char *seccomp_action(uint32_t code)
{
	switch (code & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		return "kill-process";
	case SECCOMP_RET_KILL_THREAD:
		return "kill-thread";
	case SECCOMP_RET_TRAP:
		return "trap";
	case SECCOMP_RET_ERRNO:
		return "errno";
	case SECCOMP_RET_USER_NOTIF:
		return "user-notif";
	case SECCOMP_RET_TRACE:
		return "trace";
	default:
		return NULL; /* LOG and ALLOW let the call run: not a denial */
	}
}

static bool parse_hex32(const char *s, uint32_t *ret)
{
	char *e;
	unsigned long v;

	if (!s || !(s = startswith(s, "0x")) || !all_hex(s, strlen(s)) || strlen(s) > 8)
		return false;
	v = strtoul(s, &e, 16);
	*ret = (uint32_t)v;
	return *e == '\0';
}

static bool parse_dec(const char *s, uint64_t *ret)
{
	return s && number(&s, s + strlen(s), ret) == 0 && *s == '\0';
}

EventId audit_classify(const AuditRecord *r, Event *e)
{
	const char *exe = audit_field(r, "exe"), *comm = audit_field(r, "comm"),
		   *pid = audit_field(r, "pid"), *uid = audit_field(r, "uid"),
		   *arch = audit_field(r, "arch"), *action;
	uint64_t nr, n;
	uint32_t code, arch_token;
	char name[64];
	char *resolved = NULL;

	e->n_fields = 0;
	if (r->type != AUDIT_TYPE_SECCOMP || !parse_dec(audit_field(r, "syscall"), &nr) ||
	    !parse_hex32(audit_field(r, "code") ? audit_field(r, "code") : "", &code) ||
	    !(action = seccomp_action(code)) || !exe || !comm || !parse_dec(pid, &n) ||
	    !parse_dec(uid, &n) || !arch || strlen(arch) > 8 || !all_hex(arch, strlen(arch)))
		return EV_INVALID;
	arch_token = (uint32_t)strtoul(arch, NULL, 16);
	/* The name in the record's own ABI (libseccomp's table); a number it does not know stays a
	 * number. */
	if (nr <= INT32_MAX)
		resolved = seccomp_syscall_resolve_num_arch(arch_token, (int)nr);
	snprintf(name, sizeof(name), "%s", resolved ? resolved : "unknown");
	free(resolved);
	/* No errno: the kernel records the action without its data (6.1's seccomp_log() gets
	 * ret & SECCOMP_RET_ACTION_FULL: a refusal with EPERM reads code=0x50000). */
	e->id = EV_SECCOMP_DENIED;
	(void)event_add_field(e, "syscall", audit_field(r, "syscall"));
	(void)event_add_field(e, "syscall_name", name);
	(void)event_add_field(e, "action", action);
	(void)event_add_field(e, "exe", exe);
	(void)event_add_field(e, "comm", comm);
	(void)event_add_field(e, "pid", pid);
	(void)event_add_field(e, "uid", uid);
	(void)event_add_field(e, "arch", arch);
	snprintf(e->app, sizeof(e->app), "kernel");
	snprintf(e->message, sizeof(e->message),
		 "seccomp refused %s (%s) to %s, exe %s, pid %s, uid %s (audit serial %llu)", name,
		 action, comm, exe, pid, uid,
		 (unsigned long long)r->serial);
	return EV_SECCOMP_DENIED;
}
