/* SPDX-License-Identifier: ISC */
/*
 * The systemd readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram to $NOTIFY_SOCKET.  Every function is a no-op when the
 * variable is unset (spawn-fcgi, run.sh), and never fails the caller:
 * a service that cannot tell systemd it is ready is still serving, and
 * systemd's TimeoutStartSec= then says so.
 */
#ifndef SG_NOTIFY_H
#define SG_NOTIFY_H

/*
 * Send msg ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...",
 * newline-separated assignments, at most 256 bytes) to $NOTIFY_SOCKET:
 * 0 sent, 1 no NOTIFY_SOCKET, -1 failed (errno).
 */
int	sg_notify(const char *msg);

#endif
