/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns-name.h"
#include "node-config.h"
#include "util.h"

typedef struct Ctx {
	char *err;
	size_t errlen, off;
	unsigned n_err;
	NodeConfig *c;
} Ctx;

static void fail(Ctx *x, const char *path, const char *fmt, ...) _printf_(3, 4);
static void fail(Ctx *x, const char *path, const char *fmt, ...)
{
	char line[256];
	int n, m;
	va_list ap;

	x->n_err++;
	n = snprintf(line, sizeof(line), "config: %s: ", *path ? path : ".");
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n = (int)strlen(line);
	/* Whole lines only: a line that does not fit is dropped, the count still says it failed. */
	if (x->err && x->off + (size_t)n + 2 <= x->errlen) {
		memcpy(x->err + x->off, line, (size_t)n);
		x->off += (size_t)n;
		x->err[x->off++] = '\n';
		x->err[x->off] = '\0';
	}
}

typedef void (*field_fn)(Ctx *x, json_object *v, const char *path);
typedef struct Field {
	const char *name;
	json_type type;
	bool required;
	field_fn fn;
} Field;

static const char *type_name(json_type t)
{
	switch (t) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "?";
}

/* Checks obj's members against fields: unknown ones, missing required ones, wrong types. */
static void walk(Ctx *x, json_object *obj, const char *path, const Field *fields, size_t n)
{
	char sub[128];

	json_object_object_foreach(obj, key, val) {
		const Field *f = NULL;

		for (size_t i = 0; i < n; i++)
			if (streq(fields[i].name, key))
				f = &fields[i];
		snprintf(sub, sizeof(sub), "%s.%.40s", path, key);
		if (!f) {
			fail(x, sub, "unknown member");
			continue;
		}
		if (json_object_get_type(val) != f->type) {
			fail(x, sub, "must be %s, not %s", type_name(f->type),
			     type_name(json_object_get_type(val)));
			continue;
		}
		f->fn(x, val, sub);
	}
	for (size_t i = 0; i < n; i++)
		if (fields[i].required && !json_object_object_get_ex(obj, fields[i].name, NULL)) {
			snprintf(sub, sizeof(sub), "%s.%s", path, fields[i].name);
			fail(x, sub, "missing");
		}
}

/* Copies a string member, refusing control characters and what does not fit. */
static bool get_str(Ctx *x, json_object *v, const char *path, char *out, size_t size)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);

	if (len != strlen(s)) {
		fail(x, path, "contains a NUL character");
		return false;
	}
	if (len >= size) {
		fail(x, path, "longer than %zu bytes", size - 1);
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)s[i]) && s[i] != '\n') {
			fail(x, path, "contains a control character");
			return false;
		}
	memcpy(out, s, len + 1);
	return true;
}

/* A host name: a DNS subdomain in lower case, 253 characters at most. */
static bool dns_name_ok(const char *s)
{
	return strlen(s) <= NC_HOST_MAX && dns_subdomain_is_valid(s);
}

static bool ipv4_ok(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	if (ret)
		*ret = a.s_addr;
	return true;
}

/* host (a DNS name or an IPv4 address) and an optional ":port" (1-65535). */
static bool host_port_ok(const char *s, size_t len, bool need_port, char *host, size_t hostsize,
			 unsigned *port)
{
	char buf[NC_HOST_MAX + 8];
	const char *colon;
	unsigned long p = 0;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	colon = strrchr(buf, ':');
	if (colon) {
		if (parse_uint(colon + 1, 1, 65535, &p) < 0)
			return false;
		buf[colon - buf] = '\0';
	} else if (need_port)
		return false;
	if (!dns_name_ok(buf) && !ipv4_ok(buf, NULL))
		return false;
	if (host)
		snprintf(host, hostsize, "%s", buf);
	if (port)
		*port = (unsigned)p;
	return true;
}

/* scheme://host[:port][/path]; the path has no spaces, quotes or control characters. */
static void url_field(Ctx *x, json_object *v, const char *path, char *out, bool http_ok)
{
	const char *rest, *slash;

	if (!get_str(x, v, path, out, NC_URL_MAX))
		return;
	if (!(rest = startswith(out, "https://")) && !(http_ok && (rest = startswith(out, "http://")))) {
		fail(x, path, http_ok ? "must start with https:// or http://" : "must start with https://");
		goto bad;
	}
	slash = rest + strcspn(rest, "/?#");
	if (!host_port_ok(rest, (size_t)(slash - rest), false, NULL, 0, NULL)) {
		fail(x, path, "no valid host[:port] after the scheme");
		goto bad;
	}
	for (const char *p = slash; *p; p++)
		if (!isgraph((unsigned char)*p) || strchr("\"'<>\\`{}|^", *p)) {
			fail(x, path, "the path has a character a URL cannot have");
			goto bad;
		}
	return;
bad:
	out[0] = '\0';
}

/* One or more PEM certificates that OpenSSL can read, and nothing else. */
static void pem_field(Ctx *x, json_object *v, const char *path, char *out)
{
	BIO *b;
	X509 *cert;
	unsigned n = 0;

	if (!get_str(x, v, path, out, NC_PEM_MAX))
		return;
	b = BIO_new_mem_buf(out, -1);
	if (!b) {
		fail(x, path, "out of memory");
		goto bad;
	}
	while ((cert = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		X509_free(cert);
		n++;
	}
	BIO_free(b);
	if (n == 0) {
		fail(x, path, "no PEM certificate");
		goto bad;
	}
	for (const char *p = out; (p = strstr(p, "-----BEGIN ")); p++)
		if (!startswith(p, "-----BEGIN CERTIFICATE-----"))
			n = 0;
	if (n == 0 || strstr(out, "-----BEGIN CERTIFICATE-----") != out + strspn(out, " \n")) {
		fail(x, path, "holds something besides PEM certificates");
		goto bad;
	}
	return;
bad:
	out[0] = '\0';
}

#define CFG (x->c)

static void f_version(Ctx *x, json_object *v, const char *path)
{
	if (json_object_get_int64(v) != NODE_CONFIG_VERSION)
		fail(x, path, "this node reads version %d", NODE_CONFIG_VERSION);
}

static void f_hostname(Ctx *x, json_object *v, const char *path)
{
	if (!get_str(x, v, path, CFG->hostname, sizeof(CFG->hostname)))
		return;
	if (!dns_name_ok(CFG->hostname)) {
		fail(x, path, "not a host name (lower-case DNS labels, 63 bytes at most)");
		CFG->hostname[0] = '\0';
	}
}

static void f_net_mode(Ctx *x, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	if (streq(s, "dhcp"))
		CFG->net.mode = NET_DHCP;
	else if (streq(s, "static"))
		CFG->net.mode = NET_STATIC;
	else
		fail(x, path, "must be \"dhcp\" or \"static\"");
}

static void f_net_interface(Ctx *x, json_object *v, const char *path)
{
	if (!get_str(x, v, path, CFG->net.interface, sizeof(CFG->net.interface)))
		return;
	if (!CFG->net.interface[0] || strpbrk(CFG->net.interface, "/: \n") ||
	    streq(CFG->net.interface, ".") || streq(CFG->net.interface, "..")) {
		fail(x, path, "not an interface name");
		CFG->net.interface[0] = '\0';
	}
}

static void f_net_address(Ctx *x, json_object *v, const char *path)
{
	char buf[32], *slash;
	unsigned long prefix;

	if (!get_str(x, v, path, buf, sizeof(buf)))
		return;
	slash = strchr(buf, '/');
	if (!slash) {
		fail(x, path, "must be ADDRESS/PREFIX, e.g. 10.0.2.15/24");
		return;
	}
	*slash = '\0';
	if (!ipv4_ok(buf, &CFG->net.address) || parse_uint(slash + 1, 1, 32, &prefix) < 0) {
		fail(x, path, "must be ADDRESS/PREFIX, e.g. 10.0.2.15/24");
		CFG->net.address = 0;
		return;
	}
	CFG->net.netmask = htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix));
}

static void f_net_gateway(Ctx *x, json_object *v, const char *path)
{
	if (!ipv4_ok(json_object_get_string(v), &CFG->net.gateway))
		fail(x, path, "not an IPv4 address");
}

static void f_net_dns(Ctx *x, json_object *v, const char *path)
{
	size_t n = json_object_array_length(v);
	char sub[140];

	if (n > NC_DNS_MAX) {
		fail(x, path, "%d servers at most", NC_DNS_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!json_object_is_type(e, json_type_string) ||
		    !ipv4_ok(json_object_get_string(e), &CFG->net.dns[CFG->net.n_dns]))
			fail(x, sub, "not an IPv4 address");
		else if (CFG->net.dns[CFG->net.n_dns] == htonl(INADDR_ANY) ||
			 CFG->net.dns[CFG->net.n_dns] == htonl(INADDR_BROADCAST))
			fail(x, sub, "not a name server's address");
		else
			CFG->net.n_dns++;
	}
}

static const Field net_fields[] = {
	{ "mode", json_type_string, true, f_net_mode },
	{ "interface", json_type_string, false, f_net_interface },
	{ "address", json_type_string, false, f_net_address },
	{ "gateway", json_type_string, false, f_net_gateway },
	{ "dns", json_type_array, false, f_net_dns },
};

static void f_network(Ctx *x, json_object *v, const char *path)
{
	char sub[140];

	walk(x, v, path, net_fields, ARRAY_SIZE(net_fields));
	snprintf(sub, sizeof(sub), "%s.address", path);
	if (CFG->net.mode == NET_STATIC && !json_object_object_get_ex(v, "address", NULL))
		fail(x, sub, "missing (mode static needs an address)");
	if (CFG->net.mode == NET_DHCP &&
	    (json_object_object_get_ex(v, "address", NULL) ||
	     json_object_object_get_ex(v, "gateway", NULL) || json_object_object_get_ex(v, "dns", NULL)))
		fail(x, path, "address, gateway and dns are for mode static; DHCP brings its own");
}

static void f_time_servers(Ctx *x, json_object *v, const char *path)
{
	size_t n = json_object_array_length(v);
	char sub[140];

	if (n > NC_TIME_MAX) {
		fail(x, path, "%d servers at most", NC_TIME_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
		char host[NC_HOST_MAX + 8];
		unsigned long port = 0;
		char *colon;

		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		snprintf(host, sizeof(host), "%s", s);
		/* HOST or HOST:PORT (an NTP server on another port than 123) */
		colon = strrchr(host, ':');
		if (colon) {
			*colon = '\0';
			if (parse_uint(colon + 1, 1, 65535, &port) < 0) {
				fail(x, sub, "the port must be 1 to 65535");
				continue;
			}
		}
		if (!dns_name_ok(host) && !ipv4_ok(host, NULL)) {
			fail(x, sub, "not a host name or IPv4 address (with an optional :PORT)");
			continue;
		}
		snprintf(CFG->time.servers[CFG->time.n_servers], NC_HOST_MAX + 1, "%s", host);
		CFG->time.ports[CFG->time.n_servers++] = (unsigned)port;
	}
}

static void f_time_nts(Ctx *x, json_object *v, const char *path)
{
	(void)path;
	CFG->time.nts = json_object_get_boolean(v);
}

static void f_time_ca(Ctx *x, json_object *v, const char *path)
{
	pem_field(x, v, path, CFG->time.ca);
}

static const Field time_fields[] = {
	{ "servers", json_type_array, true, f_time_servers },
	{ "nts", json_type_boolean, false, f_time_nts },
	{ "ca", json_type_string, false, f_time_ca },
};

static void f_time(Ctx *x, json_object *v, const char *path)
{
	walk(x, v, path, time_fields, ARRAY_SIZE(time_fields));
	if (json_object_object_get_ex(v, "ca", NULL) && !CFG->time.nts)
		fail(x, path, "ca is the NTS-KE servers' CA: it needs \"nts\": true");
}

static void f_verifier_url(Ctx *x, json_object *v, const char *path)
{
	url_field(x, v, path, CFG->verifier.url, false);
}

static void f_verifier_ca(Ctx *x, json_object *v, const char *path)
{
	pem_field(x, v, path, CFG->verifier.ca);
}

static const Field verifier_fields[] = {
	{ "url", json_type_string, true, f_verifier_url },
	{ "ca", json_type_string, true, f_verifier_ca },
};

static void f_verifier(Ctx *x, json_object *v, const char *path)
{
	walk(x, v, path, verifier_fields, ARRAY_SIZE(verifier_fields));
}

static void f_update_url(Ctx *x, json_object *v, const char *path)
{
	/* Bundles are signed: plain HTTP can carry them (docs/node-config.md). */
	url_field(x, v, path, CFG->update.url, true);
}

static void f_update_fleetlock(Ctx *x, json_object *v, const char *path)
{
	url_field(x, v, path, CFG->update.fleetlock_url, true);
}

static void f_update_group(Ctx *x, json_object *v, const char *path)
{
	if (get_str(x, v, path, CFG->update.fleetlock_group, sizeof(CFG->update.fleetlock_group)) &&
	    !dns_label_is_valid(CFG->update.fleetlock_group)) {
		fail(x, path, "not a group name ([a-z0-9-], 63 bytes at most)");
		CFG->update.fleetlock_group[0] = '\0';
	}
}

static void f_update_ca(Ctx *x, json_object *v, const char *path)
{
	pem_field(x, v, path, CFG->update.ca);
}

/* An integer member in [lo, hi]. */
static void int_field(Ctx *x, json_object *v, const char *path, int64_t lo, int64_t hi,
		      unsigned *out)
{
	int64_t n = json_object_get_int64(v);

	if (n < lo || n > hi)
		fail(x, path, "must be %lld to %lld", (long long)lo, (long long)hi);
	else
		*out = (unsigned)n;
}

/* The read-only status endpoint (kcc-update status-server, docs/upgrades.md "A rollout"): an
 * unprivileged port, so that the service needs no capability. */
static void f_update_status_port(Ctx *x, json_object *v, const char *path)
{
	int_field(x, v, path, 1024, 65535, &CFG->update.status_port);
}

/* Pull mode's round interval (default 300 s, the service's --interval). */
static void f_update_poll(Ctx *x, json_object *v, const char *path)
{
	int_field(x, v, path, 10, 86400, &CFG->update.poll_seconds);
}

static const Field update_fields[] = {
	{ "url", json_type_string, true, f_update_url },
	{ "ca", json_type_string, false, f_update_ca },
	{ "fleetlock-url", json_type_string, false, f_update_fleetlock },
	{ "fleetlock-group", json_type_string, false, f_update_group },
	{ "status-port", json_type_int, false, f_update_status_port },
	{ "poll-seconds", json_type_int, false, f_update_poll },
};

static void f_update(Ctx *x, json_object *v, const char *path)
{
	walk(x, v, path, update_fields, ARRAY_SIZE(update_fields));
}

static void f_siem_destination(Ctx *x, json_object *v, const char *path)
{
	const char *s = json_object_get_string(v);

	if (!host_port_ok(s, strlen(s), true, CFG->siem.host, sizeof(CFG->siem.host),
			  &CFG->siem.port))
		fail(x, path, "must be HOST:PORT (RFC 5425 syslog over TLS, usually port 6514)");
}

static void f_siem_ca(Ctx *x, json_object *v, const char *path)
{
	pem_field(x, v, path, CFG->siem.ca);
}

static const Field siem_fields[] = {
	{ "destination", json_type_string, true, f_siem_destination },
	{ "ca", json_type_string, true, f_siem_ca },
};

static void f_siem(Ctx *x, json_object *v, const char *path)
{
	walk(x, v, path, siem_fields, ARRAY_SIZE(siem_fields));
}

static void f_kubelet_api(Ctx *x, json_object *v, const char *path)
{
	url_field(x, v, path, CFG->kubelet.api_server, false);
}

static void f_kubelet_ca(Ctx *x, json_object *v, const char *path)
{
	pem_field(x, v, path, CFG->kubelet.cluster_ca);
}

/* Kubernetes label syntax: [prefix/]name, name 1..63 of [A-Za-z0-9._-] starting and ending with
 * an alphanumeric; value the same or empty; the prefix a DNS subdomain. */
static bool k8s_name_ok(const char *s, bool empty_ok)
{
	size_t n = strlen(s);

	if (n == 0)
		return empty_ok;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static void f_kubelet_labels(Ctx *x, json_object *v, const char *path)
{
	char sub[200];

	json_object_object_foreach(v, key, val) {
		const char *slash = strrchr(key, '/'), *name = slash ? slash + 1 : key;
		char prefix[NC_HOST_MAX + 1] = "";
		bool ok;

		snprintf(sub, sizeof(sub), "%s.%.60s", path, key);
		if (CFG->kubelet.n_labels == NC_LABELS_MAX) {
			fail(x, path, "%d labels at most", NC_LABELS_MAX);
			return;
		}
		if (slash)
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - key), key);
		ok = k8s_name_ok(name, false) && (!slash || dns_name_ok(prefix)) && strlen(key) < 64;
		if (!ok) {
			fail(x, sub, "not a label key ([prefix/]name, 63 bytes at most)");
			continue;
		}
		if (!json_object_is_type(val, json_type_string) ||
		    !k8s_name_ok(json_object_get_string(val), true)) {
			fail(x, sub, "not a label value (a string of [A-Za-z0-9._-], 63 bytes at most)");
			continue;
		}
		snprintf(CFG->kubelet.labels[CFG->kubelet.n_labels][0], 64, "%s", key);
		snprintf(CFG->kubelet.labels[CFG->kubelet.n_labels][1], 64, "%s",
			 json_object_get_string(val));
		CFG->kubelet.n_labels++;
	}
}

static void f_kubelet_max_pods(Ctx *x, json_object *v, const char *path)
{
	int_field(x, v, path, 1, 250, &CFG->kubelet.max_pods);
}

static const Field kubelet_fields[] = {
	{ "api-server", json_type_string, false, f_kubelet_api },
	{ "cluster-ca", json_type_string, false, f_kubelet_ca },
	{ "node-labels", json_type_object, false, f_kubelet_labels },
	{ "max-pods", json_type_int, false, f_kubelet_max_pods },
};

static void f_kubelet(Ctx *x, json_object *v, const char *path)
{
	walk(x, v, path, kubelet_fields, ARRAY_SIZE(kubelet_fields));
	if (json_object_object_get_ex(v, "api-server", NULL) !=
	    json_object_object_get_ex(v, "cluster-ca", NULL))
		fail(x, path, "api-server and cluster-ca go together");
}

/* At most every day, at least every ten years: the key rotation's age (docs/measured-boot.md). */
static void f_state_rotate_days(Ctx *x, json_object *v, const char *path)
{
	int_field(x, v, path, 1, 3650, &CFG->state.rotate_days);
}

/* The volume-key rotation's time per boot (docs/measured-boot.md, "Volume-key rotation"). */
static void f_state_reencrypt_seconds(Ctx *x, json_object *v, const char *path)
{
	int_field(x, v, path, 1, 3600, &CFG->state.reencrypt_seconds);
}

static const Field state_fields[] = {
	{ "rotate-days", json_type_int, false, f_state_rotate_days },
	{ "reencrypt-seconds", json_type_int, false, f_state_reencrypt_seconds },
};

static void f_state(Ctx *x, json_object *v, const char *path)
{
	walk(x, v, path, state_fields, ARRAY_SIZE(state_fields));
}

static const Field top_fields[] = {
	{ "version", json_type_int, true, f_version },
	{ "hostname", json_type_string, false, f_hostname },
	{ "network", json_type_object, false, f_network },
	{ "time", json_type_object, false, f_time },
	{ "verifier", json_type_object, false, f_verifier },
	{ "update", json_type_object, false, f_update },
	{ "siem", json_type_object, false, f_siem },
	{ "kubelet", json_type_object, false, f_kubelet },
	{ "state", json_type_object, false, f_state },
};

/* data is not NUL-terminated: bounded by len. */
static bool only_space(const char *data, size_t from, size_t len)
{
	for (size_t i = from; i < len; i++)
		if (!strchr(" \t\r\n", data[i]))
			return false;
	return true;
}

int node_config_parse(const char *data, size_t len, NodeConfig *ret, char *err, size_t errlen)
{
	Ctx x = { .err = err, .errlen = errlen, .c = ret };
	json_tokener *tok;
	json_object *root;
	enum json_tokener_error e;

	memset(ret, 0, sizeof(*ret));
	if (err && errlen)
		err[0] = '\0';
	if (len > NODE_CONFIG_MAX) {
		fail(&x, "", "larger than %d bytes", NODE_CONFIG_MAX);
		return -E2BIG;
	}
	if (memchr(data, '\0', len)) {
		fail(&x, "", "contains a NUL byte");
		return -EINVAL;
	}
	tok = json_tokener_new_ex(16);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, data, (int)len);
	e = json_tokener_get_error(tok);
	if (!root || e != json_tokener_success || !only_space(data, json_tokener_get_parse_end(tok), len)) {
		if (root && e == json_tokener_success)
			fail(&x, "", "data after the JSON document (byte %zu)",
			     json_tokener_get_parse_end(tok));
		else
			fail(&x, "", "not JSON: %s", json_tokener_error_desc(e == json_tokener_success ?
									     json_tokener_continue : e));
		json_object_put(root);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_object))
		fail(&x, "", "must be a JSON object");
	else
		walk(&x, root, "", top_fields, ARRAY_SIZE(top_fields));
	json_object_put(root);
	if (x.n_err) {
		memset(ret, 0, sizeof(*ret));
		return -EINVAL;
	}
	return 0;
}

int node_config_check_upstream(const NodeConfig *c, char *err, size_t errlen)
{
	Ctx x = { .err = err, .errlen = errlen };

	if (err && errlen)
		err[0] = '\0';
	if (c->verifier.url[0] && !c->kubelet.api_server[0])
		fail(&x, ".kubelet.api-server", "required on an upstream-mode image whose node joins "
		     "through a verifier (its kubelet would wait forever for a kubeconfig)");
	return x.n_err ? -EINVAL : 0;
}
