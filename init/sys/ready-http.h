/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Readiness by HTTP (ready = http:PORT/PATH): PID 1 asks 127.0.0.1:PORT for PATH without ever
 * blocking; the service is ready once the answer is "200". */
#pragma once

/* Connects and sends the request; returns the non-blocking socket, or -errno (not listening yet:
 * -ECONNREFUSED). */
int ready_http_connect(unsigned port, const char *path);
/* Reads the answer: 1 when it is 200, 0 when more must be waited for, -errno otherwise. */
int ready_http_answer(int fd);
