/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kcc-forward's way out: RFC 5425, syslog over TLS 1.3 with mutual authentication (OpenSSL). It
 * sends what the spool holds after its cursor, and moves the cursor only over records the
 * collector's TCP has acknowledged for a whole ack interval on a connection that is still up; after
 * any error the connection is dropped and everything after the cursor is sent again (the collector
 * de-duplicates on boot + seq). */
#pragma once

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "spool.h"

typedef struct Sender {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	char host[256];
	unsigned port;
	uint64_t sent;      /* the last index written on this connection */
	uint64_t candidate; /* TCP-acknowledged at the last check: acked at the next if still up */
	unsigned long long candidate_ms, retry_ms;
	unsigned backoff_ms;
	char err[256]; /* why the last attempt failed */
	char ca[512], cert[512], key[512];
	ino_t cert_ino; /* the certificate the context holds: reloaded when the file changes */
	struct timespec cert_mtime;
} Sender;

/* ca: PEM file of the CA the collector's certificate must chain to; cert and key: the node's
 * client certificate and key (PEM). The collector's name is checked against host. -ENOENT when
 * there is no certificate yet: the sender is usable and loads it before a later connect (the
 * join writes it), as it reloads a renewed one. */
int sender_init(Sender *s, const char *host, unsigned port, const char *ca, const char *cert,
		const char *key);
void sender_free(Sender *s);
/* Connects when it is time to (backoff after failures): 1 connected, 0 not yet, -errno failed
 * (s->err says why). */
int sender_connect(Sender *s, unsigned long long now_ms);
/* Writes what the spool has after max(cursor, sent), then advances the cursor as described above.
 * Returns the number of records written, or -errno after which the connection is gone. */
int sender_pump(Sender *s, Spool *spool, unsigned long long now_ms);
bool sender_connected(const Sender *s);
void sender_drop(Sender *s, unsigned long long now_ms);
