/*
 * Unit tests of the sealed code 1 of a moved conference (mgmtd/moved.c)
 * and of what it uses in common/acode.c: the canonical bytes of code 1 and
 * the SMS of a moved conference.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../mgmtd/mgmtd.h"
#include "check.h"

/* The IPv4 and IPv6 codes of docs/access-codes.md. */
static const char t_code1[] = "1000H-G40RZ-40M3N-0E20K-91856-GR389-E1X71-"
    "9J2BP-H2068-Q7W1R-50JFD-H7VCQ-P2NTG-MNC8N-RZ8HQ-Z0TC9-Q0003";
static const char t_code1_v6[] = "3M2G8-T58X9-4MPK9-AFA55-9NANT-TSBDZ-"
    "ENYMZ-PY7GR-CGJ9K-V9R2F-JS2BB-2THFQ-1NGVX-M9R20-Z3GD1-37NPF-5AZ6E-"
    "HPDNG-ASXYP-GNSK8-4Q7FM-G000V";
static const char t_code2_v6[] = "2P2RR-V5CX9-MPPV4-BFE55-SQAXQ-VSFDZ-"
    "YQYYP-BCV9Q-46GD6-JFWFM-F2M2E-FBWTV-S8TWM-048AT-MYVCR-H000D";

/* Any spelling confcli takes finds the same row with the same key. */
static void
test_spellings(void)
{
	uint8_t i1[32], p1[32], s1[32], i2[32], p2[32], s2[32];
	char why[ACODE_WHY_MAX], alt[200];
	size_t i, n = 0;

	CHECK_INT(moved_derive(t_code1, i1, p1, s1, why, sizeof(why)), ==,
	    ACODE_OK);
	/* Lower case, spaces for dashes, O for 0. */
	for (i = 0; t_code1[i] != '\0'; i++)
		alt[n++] = t_code1[i] == '-' ? ' ' : t_code1[i] == '0' ? 'o' :
		    (char)(t_code1[i] >= 'A' && t_code1[i] <= 'Z' ?
		    t_code1[i] + 32 : t_code1[i]);
	alt[n] = '\0';
	CHECK_INT(moved_derive(alt, i2, p2, s2, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK(memcmp(i1, i2, 32) == 0);
	CHECK(memcmp(p1, p2, 32) == 0);
	CHECK(memcmp(s1, s2, 32) == 0);
	/* The index is not the public key: two personalisations. */
	CHECK(memcmp(i1, p1, 32) != 0);
	CHECK(memcmp(i1, s1, 32) != 0);
	CHECK_INT(moved_derive(t_code1_v6, i2, p2, s2, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK(memcmp(i1, i2, 32) != 0);
	CHECK(memcmp(p1, p2, 32) != 0);
}

/* A mistyped or wrong code says why, as confcli would. */
static void
test_refusals(void)
{
	uint8_t idx[32], pk[32], sk[32];
	char why[ACODE_WHY_MAX], bad[sizeof(t_code1)];

	memcpy(bad, t_code1, sizeof(bad));
	bad[14] = bad[14] == 'X' ? 'Y' : 'X';
	CHECK_INT(moved_derive(bad, idx, pk, sk, why, sizeof(why)), ==,
	    ACODE_E_TYPO);
	CHECK(strstr(why, "code 1: a typo in group 3") != NULL);
	CHECK_INT(moved_derive(t_code2_v6, idx, pk, sk, why, sizeof(why)),
	    ==, ACODE_E_SWAPPED);
	CHECK_INT(moved_derive("", idx, pk, sk, why, sizeof(why)), ==,
	    ACODE_E_SHORT);
}

/* Only the holder of the old code 1 opens the new one. */
static void
test_seal_open(void)
{
	uint8_t idx[32], pk[32], sk[32], pk2[32], sk2[32];
	uint8_t sealed[MOVED_SEALED_MAX];
	char why[ACODE_WHY_MAX], out[ACODE_CODE1_MAX];
	size_t len;

	CHECK_INT(moved_derive(t_code1, idx, pk, sk, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK_INT(moved_seal(pk, t_code1_v6, sealed, sizeof(sealed), &len),
	    ==, 0);
	CHECK_INT(len, ==, strlen(t_code1_v6) + 48);
	CHECK_INT(moved_open(pk, sk, sealed, len, out, sizeof(out)), ==, 0);
	CHECK_STR(out, t_code1_v6);
	/* Another code's key opens nothing. */
	CHECK_INT(moved_derive(t_code1_v6, idx, pk2, sk2, why, sizeof(why)),
	    ==, ACODE_OK);
	CHECK_INT(moved_open(pk2, sk2, sealed, len, out, sizeof(out)), ==,
	    EBADMSG);
	/* Any changed byte is refused. */
	sealed[len - 1] ^= 1;
	CHECK_INT(moved_open(pk, sk, sealed, len, out, sizeof(out)), ==,
	    EBADMSG);
	sealed[len - 1] ^= 1;
	CHECK_INT(moved_open(pk, sk, sealed, len - 1, out, sizeof(out)), ==,
	    EBADMSG);
	/* Too small a buffer, either way. */
	CHECK_INT(moved_open(pk, sk, sealed, len, out, 10), ==, EBADMSG);
	CHECK_INT(moved_seal(pk, t_code1_v6, sealed, 50, &len), ==, ENOSPC);
	CHECK_INT(len, ==, 0);
}

/* Two seals of one code differ: nothing links them in the store. */
static void
test_seal_fresh(void)
{
	uint8_t idx[32], pk[32], sk[32], a[MOVED_SEALED_MAX],
	    b[MOVED_SEALED_MAX];
	char why[ACODE_WHY_MAX];
	size_t la, lb;

	CHECK_INT(moved_derive(t_code1, idx, pk, sk, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK_INT(moved_seal(pk, t_code1, a, sizeof(a), &la), ==, 0);
	CHECK_INT(moved_seal(pk, t_code1, b, sizeof(b), &lb), ==, 0);
	CHECK_INT(la, ==, lb);
	CHECK(memcmp(a, b, la) != 0);
}

/* The SMS of a moved conference still fits one SMS, for either family. */
static void
test_sms_moved(void)
{
	char text[ACODE_SMS_MAX];
	uint8_t raw[ACODE_CODE1_BYTES_MAX];
	char why[ACODE_WHY_MAX];
	size_t len;

	CHECK_INT(acode_sms_moved_text(t_code2_v6, 1796122800, text,
	    sizeof(text)), ==, 0);
	CHECK_STR(text, "Conference moved, new code 2: 2P2RR-V5CX9-MPPV4-"
	    "BFE55-SQAXQ-VSFDZ-YQYYP-BCV9Q-46GD6-JFWFM-F2M2E-FBWTV-S8TWM-"
	    "048AT-MYVCR-H000D valid until 2026-12-01 11:00 UTC");
	CHECK_INT(strlen(text), ==, 158);
	CHECK_INT(acode_sms_moved_text("not a code!", 1796122800, text,
	    sizeof(text)), ==, EINVAL);
	/* The bytes of code 1: the header, then 40 or 52 bytes. */
	CHECK_INT(acode_code1_bytes(t_code1, raw, sizeof(raw), &len, why,
	    sizeof(why)), ==, ACODE_OK);
	CHECK_INT(len, ==, 41);
	CHECK_INT(raw[0], ==, 1);
	CHECK_INT(raw[1], ==, 0x00);
	CHECK_INT(raw[16], ==, 0x0f);
	CHECK_INT(acode_code1_bytes(t_code1_v6, raw, sizeof(raw), &len, why,
	    sizeof(why)), ==, ACODE_OK);
	CHECK_INT(len, ==, 53);
	CHECK_INT(raw[0], ==, 3);
	CHECK_INT(acode_code1_bytes(t_code1_v6, raw, 52, &len, why,
	    sizeof(why)), ==, ACODE_E_INTERNAL);
}

CHECK_MAIN(
	CHECK_CASE(test_spellings),
	CHECK_CASE(test_refusals),
	CHECK_CASE(test_seal_open),
	CHECK_CASE(test_seal_fresh),
	CHECK_CASE(test_sms_moved),
)
