/*
 * srtp_ossl: AES-128 counter mode, HMAC-SHA1 and AES-128-GCM for libsrtp2,
 * from OpenSSL.
 *
 * Debian builds libsrtp2 on NSS, whose PKCS #11 layer makes a new context
 * for every packet (one for the counter-mode IV, one for the HMAC): about a
 * third of confd's time under load (and NSS's GCM context takes 18 KB).  libsrtp lets a program replace the
 * implementation of a cipher or MAC by its id; these keep one OpenSSL
 * context per key and only reset it per packet.  libsrtp runs its known
 * answer tests on them as they are installed (RFC 3711 B.2, RFC 2202, the
 * GCM specification's test case 4).
 */
#ifndef SRTP_OSSL_H
#define SRTP_OSSL_H

/*
 * Installs both into libsrtp, after srtp_init(); 0, or EIO if libsrtp
 * refused one (its self-test failed), in which case its own stays in use.
 */
int	srtp_ossl_install(void);

#endif
