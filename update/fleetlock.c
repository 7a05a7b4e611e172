/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FleetLock client (fleetlock.h). */
#include <json-c/json.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "bundle-source.h"
#include "fleetlock.h"
#include "http-client.h"
#include "util.h"

#define ANSWER_MAX 8192u
#define TIMEOUT_S 30

static const char *const op_path[] = {
	[FLEETLOCK_PRE_REBOOT] = "/v1/pre-reboot",
	[FLEETLOCK_STEADY_STATE] = "/v1/steady-state",
};

/* Only printable ASCII of s, at most 120 bytes, into out. */
static void printable(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; s && *s && o + 1 < outlen && o < 120; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[o] = '\0';
}

int fleetlock_answer_parse(const char *buf, size_t len, int *ret_code, char *err, size_t errlen)
{
	const char *body = NULL;
	struct json_object *o = NULL, *kind, *value;
	char k[128] = "", v[128] = "";
	int code;

	if (http_status_parse(buf, len, &code) < 0)
		return -EBADMSG;
	*ret_code = code;
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			body = buf + i + 4;
			break;
		}
	if (code == 200)
		return 0;
	if (body) {
		struct json_tokener *tok = json_tokener_new();

		o = tok ? json_tokener_parse_ex(tok, body, (int)(len - (size_t)(body - buf))) : NULL;
		json_tokener_free(tok);
	} else
		o = NULL;
	if (o && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "kind", &kind) && json_object_is_type(kind, json_type_string))
			printable(json_object_get_string(kind), k, sizeof(k));
		if (json_object_object_get_ex(o, "value", &value) && json_object_is_type(value, json_type_string))
			printable(json_object_get_string(value), v, sizeof(v));
	}
	json_object_put(o);
	snprintf(err, errlen, "HTTP %d: %s: %s", code, k[0] ? k : "(no kind)", v[0] ? v : "(no value)");
	return 0;
}

/* The answer to req over plain HTTP (the server closes after it, HTTP/1.0). */
static int http_exchange(const char *host, const char *port, const char *req, size_t reqlen, char *answer, size_t max,
			 size_t *ret_len, char *err, size_t errlen)
{
	const struct timeval tv = { .tv_sec = TIMEOUT_S };
	_cleanup_close_ int fd = -EBADF;
	size_t have = 0;

	fd = source_connect(host, port, err, errlen);
	if (fd < 0)
		return fd;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen)
		return errorf(err, errlen, -EIO, "cannot send to the FleetLock server %s:%s: %m", host, port);
	while (have < max) {
		ssize_t k = read(fd, answer + have, max - have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errorf(err, errlen, -EIO, "no answer from the FleetLock server %s:%s: %m", host, port);
		if (k == 0)
			break;
		have += (size_t)k;
	}
	*ret_len = have;
	return 0;
}

int fleetlock_request(const char *base_url, const char *ca_pem, FleetLockOp op, const char *id, const char *group,
		      char *err, size_t errlen)
{
	char host[256], port[8], req[2048], answer[ANSWER_MAX + 1], prefix[512];
	const char *path, *body;
	struct json_object *o, *cp;
	const bool tls = startswith(base_url, "https://");
	size_t have = 0, pl;
	int code, n, r;

	if (source_parse_url(base_url, host, sizeof(host), port, sizeof(port), &path) < 0)
		return errorf(err, errlen, -EINVAL, "FleetLock URL '%s': must be http(s)://HOST[:PORT][/PATH]", base_url);
	snprintf(prefix, sizeof(prefix), "%s", path);
	pl = strlen(prefix);
	if (pl && prefix[pl - 1] == '/')
		prefix[pl - 1] = '\0';
	o = json_object_new_object();
	cp = json_object_new_object();
	json_object_object_add(cp, "id", json_object_new_string(id));
	json_object_object_add(cp, "group", json_object_new_string(group));
	json_object_object_add(o, "client_params", cp);
	body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = snprintf(req, sizeof(req),
		     "POST %s%s HTTP/1.0\r\nHost: %s\r\nUser-Agent: kcc-update\r\nfleet-lock-protocol: true\r\n"
		     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     prefix, op_path[op], host, strlen(body), body);
	json_object_put(o);
	if (n < 0 || (size_t)n >= sizeof(req))
		return errorf(err, errlen, -E2BIG, "FleetLock request too long");
	if (tls)
		r = source_https_exchange(base_url, ca_pem, req, (size_t)n, answer, ANSWER_MAX, &have, err, errlen);
	else
		r = http_exchange(host, port, req, (size_t)n, answer, ANSWER_MAX, &have, err, errlen);
	if (r < 0)
		return r;
	answer[have] = '\0';
	if (fleetlock_answer_parse(answer, have, &code, err, errlen) < 0)
		return errorf(err, errlen, -EBADMSG, "the FleetLock server %s:%s sent no HTTP answer", host, port);
	return code == 200 ? 0 : -EBUSY;
}
