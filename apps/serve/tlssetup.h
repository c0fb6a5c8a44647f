/*
 * tlssetup.h - mote-serve's TLS configuration: a certificate and key from
 * PEM files, or a freshly generated self-signed certificate (P-256) for a
 * name, with ALPN http/1.1.
 */
#ifndef MOTE_SERVE_TLSSETUP_H
#define MOTE_SERVE_TLSSETUP_H

#include "mote/core.h"
#include "mote/tls.h"

/* A server config from PEM files. NULL with a message in err (size n). */
mote_tls_config *serve_tls_from_files(mote_rng *rng, mote_clock *clock, const char *cert_path,
                                      const char *key_path, char *err, size_t n);

/* A server config with a new self-signed certificate for name (a DNS name
 * or an IP address), valid from an hour ago for 30 days. If cert_out is
 * not NULL the certificate is written there as PEM (for clients to trust).
 * NULL with a message in err. */
mote_tls_config *serve_tls_self_signed(mote_rng *rng, mote_clock *clock, const char *name,
                                       const char *cert_out, char *err, size_t n);

#endif
