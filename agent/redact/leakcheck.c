/* SPDX-License-Identifier: MIT */
/*
 * The leak check: after a bundle is written, every member is read back from
 * the tar.gz (libarchive, streamed, bounded memory) and searched with
 * detectors that are deliberately not the redaction rules: known token
 * prefixes, PEM private-key headers not followed by a redaction marker, and
 * high-entropy values right after a secret-looking word. A hit names the
 * member, the line and the detector, never the value. Non-logging above debug.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <pcre2.h>

#include "alloc-util.h"
#include "log.h"
#include "time-util.h"
#include "redact/redact.h"
#include "ring-sync.h"
#include "sha256.h"
#include "thread-util.h"

#define LC_LINE_MAX (64u * 1024u) /* longer lines are checked in pieces */
#define LC_OVERLAP \
        (8u * 1024u)      /* bytes carried over between pieces: the longest
                                   * match looked for (a JWT's header and payload) */
#define LC_HITS_MAX 1000u /* hits listed; all are counted */

/*
 * Token formats, each a named group; the group's name is the detector's. These
 * are written independently of policies/redaction.yaml (distinctive prefixes
 * and shapes only, after the families of public secret-scanning rule sets such
 * as gitleaks' config), so that a rule disabled or broken by a drop-in is
 * caught. Formats whose end is a fixed separator ("PMAK-...-") give their
 * whole shape: the lookahead at the end applies to all.
 */
static const char token_regex[] =
        "(?<aws_access_key>(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|A3T[A-Z0-9])"
        "[A-Z0-9]{16}(?![A-Z0-9]))"
        "|(?<github_token>(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}))"
        "|(?<gitlab_token>(?<![A-Za-z0-9_-])(?:(?:glpat|glptt|gldt|glrt|glcbt|glsoat|glft|glimt|"
        "glagent|gloas|glffct)-[A-Za-z0-9_\\-]{20,}|GR1348941[A-Za-z0-9_\\-]{20,}|"
        "_gitlab_session=[A-Za-z0-9]{32,}))"
        "|(?<slack_token>(?<![A-Za-z0-9])(?:xox[abposre]-[A-Za-z0-9\\-]{10,}|xapp-[0-9]-[A-Za-z0-9\\-]{10,}))"
        "|(?<slack_webhook>hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9]{6,})"
        "|(?<atlassian_token>(?:ATATT3|ATCTT3|ATBB)[A-Za-z0-9_\\-=]{20,})"
        "|(?<stripe_key>(?<![A-Za-z0-9])(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,}))"
        "|(?<npm_token>(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{30,})"
        "|(?<pypi_token>pypi-AgE[A-Za-z0-9_\\-]{20,})"
        "|(?<jwt>(?<![A-Za-z0-9_-])(?:eyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.|"
        "ey[A-Za-z0-9]{17,}\\.ey[A-Za-z0-9/\\\\_-]{17,}\\.))"
        "|(?<google_key>(?<![A-Za-z0-9_-])(?:AIza[0-9A-Za-z_\\-]{35}|ya29\\.[0-9A-Za-z_\\-]{20,}|"
        "GOCSPX-[0-9A-Za-z_\\-]{20,}))"
        "|(?<ai_key>(?<![A-Za-z0-9_-])(?:sk-ant-[a-z]{3,5}[0-9]{2}-[A-Za-z0-9_\\-]{20,}|"
        "sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\\-]{20,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|"
        "hf_[A-Za-z0-9]{30,}|api_org_[A-Za-z0-9]{30,}|pplx-[A-Za-z0-9]{40,}))"
        "|(?<vendor_token>(?<![A-Za-z0-9_-])(?:hv[sb]\\.[A-Za-z0-9_\\-]{20,}|do[opr]_v1_[a-f0-9]{64}|"
        "SG\\.[A-Za-z0-9_\\-=.]{60,}|SG\\.[A-Za-z0-9_\\-]{16,}\\.[A-Za-z0-9_\\-]{16,}|"
        "shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}|"
        "glc_[A-Za-z0-9+/]{32,}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|dckr_pat_[A-Za-z0-9_\\-]{20,}|"
        "dp\\.(?:pt|st|ct|sa)\\.[A-Za-z0-9]{40,}|"
        "pul-[a-f0-9]{40}|sgp_[A-Za-z0-9_]{40,}|PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}|"
        "lin_api_[A-Za-z0-9]{40}|"
        "NR(?:AK|II)-[A-Za-z0-9\\-]{20,}|NRJS-[a-f0-9]{19}|sntry[us]_[A-Za-z0-9+/=_]{40,}|"
        "(?:fm[12][ar]?|fo1)_[A-Za-z0-9+/=_\\-]{40,}|HRKU-[A-Za-z0-9_\\-]{30,}|"
        "xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}|dapi[a-f0-9]{32}|"
        "dt0c01\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{64}|pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.\\-]{32,}|"
        "AGE-SECRET-KEY-1[A-Z0-9]{58}|LTAI[A-Za-z0-9]{20}|sq0(?:atp|csp)-[A-Za-z0-9_\\-\\\\^\\]]{22,}|"
        "EAAA[A-Za-z0-9_\\-]{22,60}|"
        "AKCp[A-Za-z0-9]{69}|rubygems_[a-f0-9]{48}|pnu_[A-Za-z0-9]{36}|rdme_[a-z0-9]{70}|"
        "A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}|"
        "4b1d[A-Za-z0-9]{38}|CLOJARS_[A-Za-z0-9]{60}|dnkey-[A-Za-z0-9=_\\-]{26}-[A-Za-z0-9=_\\-]{52}|"
        "duffel_(?:test|live)_[A-Za-z0-9=_\\-]{43}|EZ[AT]K[A-Za-z0-9]{54}|"
        "FLW(?:PUBK|SECK)_TEST-[a-fA-F0-9]{12,32}(?:-X)?|fio-u-[A-Za-z0-9=_\\-]{64}|"
        "eyJrIjoi[A-Za-z0-9]{50,}|(?:pat|sat)\\.[A-Za-z0-9_\\-]{22}\\.[A-Za-z0-9]{24}\\.[A-Za-z0-9]{20}|"
        "ico-[A-Za-z0-9]{32}|[a-f0-9]{32}-us[0-9]{1,2}|"
        "(?:pub)?key-[a-f0-9]{32}|pk\\.[A-Za-z0-9]{60}\\.[A-Za-z0-9]{22}|"
        "sha256~[A-Za-z0-9_\\-]{43}|tk-us-[A-Za-z0-9_\\-]{48}|sm_(?:pat|aat|sat)_[A-Za-z0-9]{16}|"
        "shippo_(?:live|test)_[a-f0-9]{40}|SK[a-fA-F0-9]{32}|AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{80,}|"
        "tfp_[A-Za-z0-9_\\-=.]{59}|AQVN[A-Za-z0-9_\\-]{35,38}|"
        "ntn_[0-9]{11}[A-Za-z0-9]{35}|API-[A-Z0-9]{26}|cmVmdGtu[A-Za-z0-9]{56}|ops_eyJ[A-Za-z0-9+/]{250,}|"
        "EAA[MC][A-Za-z0-9]{100,}|p8e-[A-Za-z0-9]{32}|sl\\.[A-Za-z0-9\\-=_]{135,}|"
        "ZXlKaGJHY2lPaU[A-Za-z0-9+/]{20,}|s-s4t2(?:ud|af)-[a-f0-9]{64}|"
        "t1\\.[A-Za-z0-9_\\-]+={0,2}\\.[A-Za-z0-9_\\-]{86})"
        "(?![A-Za-z0-9_\\-]))";

/* Formats without a distinctive start, each tried only on a line holding its needle. */
static const struct {
        const char *needle;
        const char *detector;
        const char *regex;
} gated[] = {
        { "Q~", "azure-client-secret",
          "(?<![A-Za-z0-9_~.\\-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\\-]{31,34}" },
        { ":AA", "telegram-bot-token", "(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_\\-]{33}" },
        { ".atlasv1.", "vendor-token", "[A-Za-z0-9]{14}\\.atlasv1\\.[A-Za-z0-9_\\-=]{60,}" },
        { "v1.0-", "vendor-token", "(?<![A-Za-z0-9])v1\\.0-[a-f0-9]{24}-[a-f0-9]{146}" },
        { "access-", "vendor-token",
          "access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
          "[0-9a-f]{12}" },
        { "_mmk", "vendor-token", "(?<![A-Za-z0-9_])[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk" },
        { "webhookb2/", "webhook-url", "webhook\\.office\\.com/webhookb2/[0-9a-f\\-]{36}@" },
        { "/api/webhooks/", "webhook-url",
          "discord(?:app)?\\.com/api/webhooks/[0-9]{5,}/[A-Za-z0-9_\\-]{20,}" },
        { ".acc", "vendor-token",
          "(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\\.[a-z0-9]{4,6}\\.acc[_-][a-z0-9-]{10,32}\\."
          "[A-Za-z0-9+/_=-]{30,120}" },
        { "CONTRIBSYS__COM", "vendor-token",
          "CONTRIBSYS__COM[A-Za-z0-9_]{0,20}[\"']?[ \\t]*[:=?]{1,3}[ \\t\"']*[a-f0-9]{8}:[a-f0-9]{8}" },
};

/* SQL password literals (CREATE/ALTER ROLE ... PASSWORD '...', IDENTIFIED BY '...'). */
static const char sql_regex[] =
        "(?i)(?<![A-Za-z0-9_\"'])password(?:[ \\t]+|[ \\t]*=[ \\t]*|[ \\t]*\\([ \\t]*)"
        "(?:password[ \\t]*\\([ \\t]*)?[EN]?'(?!\\[REDACTED)[^'\\r\\n]{3,}'"
        "|\\bidentified[ \\t]+(?:with[ \\t]+\\S+[ \\t]+)?(?:by|as)[ \\t]+'(?!\\[REDACTED)[^'\\r\\n]{3,}'"
        "|\\b(?:user|role)\\b[^;\\r\\n]{0,80}\\bidentified[ \\t]+by[ \\t]+(?!values\\b|\\[REDACTED)"
        "[A-Za-z0-9_#$!@%^&*+\\-]{4,}"
        "|\\bset_config[ \\t]*\\([ \\t]*'[^']*(?:token|secret|pass|pwd|key|auth|cred)[^']*'[ \\t]*,"
        "[ \\t]*'(?!\\[REDACTED)[^'\\r\\n]{3,}'"
        "|\\bset[ \\t]+(?:local[ \\t]+|session[ \\t]+)?[A-Za-z0-9_.]*(?:token|secret|pass|pwd|key|auth|"
        "cred)[A-Za-z0-9_.]*[ \\t]+to[ \\t]+'(?!\\[REDACTED)[^'\\r\\n]{3,}'";

static const char pem_regex[] =
        "-----BEGIN[ A-Z0-9_\\-]{0,100}PRIVATE KEY(?: BLOCK)?-----|---- BEGIN SSH2 ENCRYPTED PRIVATE "
        "KEY ----";

/*
 * A key with a secret word, a separator, then the value: every assignment
 * syntax of public rule sets' generic rule (=, :, =>, :=, ::=, ?=, .=, ||,
 * "KEY", "value" as in setProperty(), a type between key and separator as in
 * "var xToken string =", quotes and backquotes, JSON-escaped quotes).
 */
static const char entropy_regex[] =
        "(?i)(?<k>(?:password|passwd|passphrase|pwd|secret|"
        "token|api[_-]?key|apikey|(?<=[_.\\-])key|(?-i:(?<=[a-z])Key)|access[_-]?key|"
        "private[_-]?key|credential|creds|auth(?!or|ent))"
        "[A-Za-z0-9_.\\-]{0,20})(?:[ \\t]+[A-Za-z]{1,10}(?=[ \\t]*[:=]))?"
        "(?:(?:\\\\?[\"'`])?[ \\t]*(?:[:=]|=>|:{1,3}=|\\?=|\\.=|\\|\\|)|\\\\?[\"'][ \\t]*,)"
        "[ \\t]*(?:\\\\?[\"'`])?"
        "(?<v>[A-Za-z0-9+/=_\\-.~]{12,})";

static bool memmem_nocase(const char *h, size_t n, const char *needle);

/* Keys that name something about a secret without being one. */
static bool key_is_reference(const char *k, size_t n)
{
        static const char *const words[] = { "public",   "cert", "fingerprint", "hash_alg", "type",
                                             "endpoint", "url",  "uri",         "file",     "path" };

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (memmem_nocase(k, n, words[i]))
                        return true;
        /* ..._id, ...-id, ...Id, ...ID */
        return n > 2 && (k[n - 1] == 'd' || k[n - 1] == 'D') &&
               (k[n - 2] == 'i' || k[n - 2] == 'I') &&
               (k[n - 3] == '_' || k[n - 3] == '-' || k[n - 3] == '.' || k[n - 2] == 'I');
}

/* The secret-named key goes on to name a property of the secret, not the secret
 * itself: password_encryption = scram-sha-256, token_lifetime, secret_min_length.
 * Looked for in the key as matched (from its secret word on), so that a word
 * before it ("encryption_key") still names a secret. */
static bool key_is_property(const char *k, size_t n)
{
        static const char *const words[] = { "encrypt", "method", "algorithm", "length", "lifetime",
                                             "timeout", "expir",  "policy",    "format", "mode" };

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (memmem_nocase(k, n, words[i]))
                        return true;
        return false;
}

/*
 * The line prefilter: three-byte sequences of which every token format, SQL
 * password literal and PEM header holds at least one. A line
 * without any of them skips those detectors: one table lookup per byte instead
 * of a regex that could start almost anywhere.
 */
enum {
        PRE_TOKENS = 1 << 0,
        PRE_SQL = 1 << 1,
        PRE_PEM = 1 << 2,
        PRE_GATED = 1 << 3,
        PRE_ENTROPY = 1 << 4,
        PRE_TOKENS_FAR = 1 << 5, /* a token trigram that can lie any way into its format */
};

static const char *const token_trigrams[] = {
        "AKI", "ASI", "ABI", "ACC", "AGP", "AID", "ARO", "A3T", "ghp", "gho", "ghu", "ghs", "ghr",
        "ub_", "glp", "gld", "glr", "glc", "gls", "glf", "gli", "gla", "glo", "GR1", "b_s", "xox",
        "xap", "ks.", "ATA", "ATC", "ATB", "k_l", "k_t", "k_p", "whs", "npm", "pyp", "eyJ", "AIz",
        "ya2", "GOC", "sk-", "T3B", "hf_", "_or", "plx", "hvs", "hvb", "_v1", "SG.", "shp", "dck",
        "dp.", "ul-", "gp_", "PMA", "n_a", "NRA", "NRI", "NRJ", "snt", "fm1", "fm2", "fo1", "HRK",
        "xke", "dap", "dt0", "psc", "AGE", "LTA", "sq0", "EAA", "AKC", "yge", "pnu", "rdm", "A3-",
        "4b1", "OJA", "dnk", "uff", "EZA", "EZT", "FLW", "io-", "at.", "co-", "-us", "ey-", "pk.",
        "56~", "k-u", "sm_", "ipp", "SK0", "SK1", "SK2", "SK3", "SK4", "SK5", "SK6", "SK7", "SK8",
        "SK9", "SKa", "SKb", "SKc", "SKd", "SKe", "SKf", "SKA", "SKB", "SKC", "SKD", "SKE", "SKF",
        "AAA", "tfp", "AQV", "t1.", "ntn", "PI-", "cmV", "ops", "8e-", "sl.", "ZXl", "4t2",
};
static const char *const sql_trigrams[] = {
        "swo", "SWO", "tif", "TIF", "t_c", "O '", "o '",
};
static const char *const pem_trigrams[] = { "IVA" };
/* Token trigrams with no bound on how far into the format they lie: the
 * second part of a JWT whose first does not start "eyJ" (".ey" after 17 or
 * more characters). Where one is on the line, the tokens are looked for from
 * the line's start. */
static const char *const token_far_trigrams[] = { ".ey" };
static const char *const entropy_trigrams[] = {
        "ssw", "SSW", "ssW", "ssp", "SSP", "ssP", "pwd", "PWD", "Pwd", "cre",
        "CRE", "Cre", "oke", "OKE", "key", "KEY", "Key", "uth", "UTH",
};
static const char *const gated_trigrams[] = {
        "0Q~", "1Q~", "2Q~", "3Q~", "4Q~", "5Q~", "6Q~", "7Q~", "8Q~",
        "9Q~", ":AA", "v1.", "IBS", "ss-", "mmk", "kb2", "i/w", ".ac",
};

/* A trigram (its three bytes, case-sensitive as the token formats are) and its PRE_* bits. */
struct trigram {
        uint32_t key;
        uint8_t bits;
};

static uint32_t tri_key(const unsigned char *p)
{
        return ((uint32_t) p[0] << 16) | ((uint32_t) p[1] << 8) | p[2];
}

struct detectors {
        /* exact trigram lookup: pre[] by the first two bytes gives 1 + the first
         * index in tri[] (sorted by key) of the trigrams starting with them, or 0 */
        uint16_t *pre;
        uint64_t *pairs; /* [1024]: the first and the last two bytes of every trigram */
        struct trigram *tri;
        size_t n_tri;
        pcre2_code *tokens, *pem, *entropy, *sql;
        pcre2_code *gated[10];
        pcre2_match_data *md;
        char **names; /* group number -> detector name ("-" for "_") */
        uint32_t n_names;
};

struct scan {
        struct detectors *d;
        const char *member;
        uint64_t line;
        bool pem_pending; /* a PEM header ended the previous line */
        uint64_t pem_line;
        json_t *hits;
        uint64_t n_hits;
        uint64_t member_hits; /* of n_hits, the current member's */
        char *buf;            /* the current line (or piece) */
        size_t len;
};

static void detectors_done(struct detectors *d)
{
        free(d->pre);
        free(d->pairs);
        free(d->tri);
        pcre2_code_free(d->tokens);
        pcre2_code_free(d->pem);
        pcre2_code_free(d->entropy);
        pcre2_code_free(d->sql);
        for (size_t i = 0; i < ELEMENTSOF(d->gated); i++)
                pcre2_code_free(d->gated[i]);
        pcre2_match_data_free(d->md);
        if (d->names)
                for (uint32_t i = 0; i < d->n_names; i++)
                        free(d->names[i]);
        free(d->names);
}

static int compile(const char *re, pcre2_code **ret)
{
        PCRE2_SIZE off;
        int err;

        *ret = pcre2_compile((PCRE2_SPTR) re, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
        if (!*ret)
                return err == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EINVAL;
        (void) pcre2_jit_compile(*ret, PCRE2_JIT_COMPLETE);
        return 0;
}

static void prefilter_add(struct detectors *d, const char *const *tri, size_t n, uint8_t bit)
{
        for (size_t i = 0; i < n; i++)
                d->tri[d->n_tri++] = (struct trigram) {
                        .key = tri_key((const unsigned char *) tri[i]),
                        .bits = bit,
                };
}

static int trigram_cmp(const void *a, const void *b)
{
        const struct trigram *x = a, *y = b;

        return x->key < y->key ? -1 : x->key > y->key;
}

/* Sorts the trigrams, merges duplicates, indexes them by their first two bytes. */
static void prefilter_index(struct detectors *d)
{
        size_t n = 0;

        qsort(d->tri, d->n_tri, sizeof(*d->tri), trigram_cmp);
        for (size_t i = 0; i < d->n_tri; i++)
                if (n > 0 && d->tri[n - 1].key == d->tri[i].key)
                        d->tri[n - 1].bits |= d->tri[i].bits;
                else
                        d->tri[n++] = d->tri[i];
        d->n_tri = n;
        for (size_t i = n; i > 0; i--) {
                uint32_t k = d->tri[i - 1].key, a = k >> 8, b = k & 0xffff;

                d->pre[a] = (uint16_t) i;
                d->pairs[a >> 6] |= UINT64_C(1) << (a & 63);
                d->pairs[b >> 6] |= UINT64_C(1) << (b & 63);
        }
}

/*
 * Where a match can start, at the earliest, before its detector's first
 * trigram on the line: the regex runs from there, not from the line's start.
 * A token format holds one of its trigrams at most TOKEN_REACH bytes after
 * its start (the 32 hex digits before Mailchimp's "-us"), or one of
 * token_far_trigrams (then the regex starts at the line's start); a keyed secret's
 * word holds one at most ENTROPY_REACH bytes after the word's start
 * ("private_key"). The lookbehinds at a format's start still see the bytes
 * before. test-leakcheck puts every format after a long line start without
 * trigrams, so a reach too short fails there.
 */
#define TOKEN_REACH 32u
#define ENTROPY_REACH 8u
enum { PRE_FROM_TOKENS, PRE_FROM_ENTROPY, PRE_FROM_N };

/* The PRE_* bits of the trigram at p, or 0. */
static uint8_t trigram_bits(const struct detectors *d, const unsigned char *p)
{
        unsigned v = d->pre[((unsigned) p[0] << 8) | p[1]];
        uint32_t k;

        if (v == 0)
                return 0;
        k = tri_key(p);
        for (size_t j = v - 1; j < d->n_tri && d->tri[j].key >> 8 == k >> 8; j++)
                if (d->tri[j].key == k)
                        return d->tri[j].bits;
        return 0;
}

/* Records where the bits b, seen at offset i, first appear; returns b. */
static uint8_t pre_seen(uint8_t m, uint8_t b, size_t i, size_t from[static PRE_FROM_N])
{
        if (b & PRE_TOKENS_FAR)
                from[PRE_FROM_TOKENS] = 0;
        else if ((b & PRE_TOKENS) && !(m & PRE_TOKENS))
                from[PRE_FROM_TOKENS] = i > TOKEN_REACH ? i - TOKEN_REACH : 0;
        if ((b & PRE_ENTROPY) && !(m & PRE_ENTROPY))
                from[PRE_FROM_ENTROPY] = i > ENTROPY_REACH ? i - ENTROPY_REACH : 0;
        return b;
}

/*
 * The detectors a line needs (PRE_*), and in from[] where the first trigram
 * of the token and entropy detectors lies. Only the byte pairs at even offsets
 * are looked up, in an 8 KiB bit set that stays in the L1 cache: a trigram
 * has its first pair at an even offset or its last one, so where a pair is in
 * the set, the trigrams starting one byte before and there are looked up.
 */
static uint8_t prefilter(const struct detectors *d, const char *text, size_t len,
                         size_t from[static PRE_FROM_N])
{
        const unsigned char *p = (const unsigned char *) text;
        uint8_t m = 0;

        for (size_t i = 0; i + 1 < len; i += 2) {
                unsigned k = (unsigned) p[i] << 8 | p[i + 1];
                uint8_t b;

                if (_likely_(!(d->pairs[k >> 6] & (UINT64_C(1) << (k & 63)))))
                        continue;
                if (i > 0 && (b = trigram_bits(d, p + i - 1)))
                        m |= pre_seen(m, b, i - 1, from);
                if (i + 2 < len && (b = trigram_bits(d, p + i)))
                        m |= pre_seen(m, b, i, from);
        }
        return m;
}

static int detectors_init(struct detectors *d)
{
        uint32_t count, entry_size;
        PCRE2_SPTR table;
        int r;

        d->pre = xcalloc(65536, sizeof(uint16_t));
        d->pairs = xcalloc(1024, sizeof(uint64_t));
        d->tri = xcalloc(ELEMENTSOF(token_trigrams) + ELEMENTSOF(token_far_trigrams) +
                                 ELEMENTSOF(sql_trigrams) + ELEMENTSOF(pem_trigrams) +
                                 ELEMENTSOF(gated_trigrams) + ELEMENTSOF(entropy_trigrams),
                         sizeof(struct trigram));
        if (!d->pre || !d->pairs || !d->tri)
                return -ENOMEM;
        prefilter_add(d, token_trigrams, ELEMENTSOF(token_trigrams), PRE_TOKENS);
        prefilter_add(d, token_far_trigrams, ELEMENTSOF(token_far_trigrams),
                      PRE_TOKENS | PRE_TOKENS_FAR);
        prefilter_add(d, sql_trigrams, ELEMENTSOF(sql_trigrams), PRE_SQL);
        prefilter_add(d, pem_trigrams, ELEMENTSOF(pem_trigrams), PRE_PEM);
        prefilter_add(d, gated_trigrams, ELEMENTSOF(gated_trigrams), PRE_GATED);
        prefilter_add(d, entropy_trigrams, ELEMENTSOF(entropy_trigrams), PRE_ENTROPY);
        prefilter_index(d);

        r = compile(token_regex, &d->tokens);
        if (r >= 0)
                r = compile(pem_regex, &d->pem);
        if (r >= 0)
                r = compile(entropy_regex, &d->entropy);
        if (r >= 0)
                r = compile(sql_regex, &d->sql);
        _Static_assert(ELEMENTSOF(gated) == ELEMENTSOF(d->gated), "one regex per gated format");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(gated); i++)
                r = compile(gated[i].regex, &d->gated[i]);
        if (r < 0)
                return r;
        d->md = pcre2_match_data_create(32, NULL);
        if (!d->md)
                return -ENOMEM;
        (void) pcre2_pattern_info(d->tokens, PCRE2_INFO_CAPTURECOUNT, &d->n_names);
        d->n_names++;
        d->names = xcalloc(d->n_names, sizeof(char *));
        if (!d->names)
                return -ENOMEM;
        (void) pcre2_pattern_info(d->tokens, PCRE2_INFO_NAMECOUNT, &count);
        (void) pcre2_pattern_info(d->tokens, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
        (void) pcre2_pattern_info(d->tokens, PCRE2_INFO_NAMETABLE, &table);
        for (uint32_t i = 0; i < count; i++) {
                const unsigned char *e = table + (size_t) i * entry_size;
                uint32_t n = ((uint32_t) e[0] << 8) | e[1];
                char *name = xstrdup((const char *) e + 2);

                if (!name)
                        return -ENOMEM;
                for (char *p = name; *p; p++)
                        if (*p == '_')
                                *p = '-';
                if (n < d->n_names) {
                        free(d->names[n]);
                        d->names[n] = name;
                } else
                        free(name);
        }
        return 0;
}

static int add_hit(struct scan *s, uint64_t line, const char *detector)
{
        json_t *o;
        size_t n = json_array_size(s->hits);

        /* one hit per line and detector is enough */
        if (n > 0) {
                json_t *last = json_array_get(s->hits, n - 1);

                if (json_integer_value(json_object_get(last, "line")) == (json_int_t) line &&
                    strcmp(json_string_value(json_object_get(last, "member")), s->member) == 0 &&
                    strcmp(json_string_value(json_object_get(last, "detector")), detector) == 0)
                        return 0;
        }
        s->n_hits++;
        s->member_hits++;
        if (n >= LC_HITS_MAX)
                return 0;
        o = json_pack("{s:s, s:I, s:s}", "member", s->member, "line", (json_int_t) line, "detector",
                      detector);
        if (!o || json_array_append_new(s->hits, o) < 0)
                return -ENOMEM;
        return 0;
}

static bool memmem_nocase(const char *h, size_t n, const char *needle)
{
        size_t m = strlen(needle);

        for (size_t i = 0; i + m <= n; i++)
                if (strncasecmp(h + i, needle, m) == 0)
                        return true;
        return false;
}

/* Shannon entropy in bits per byte. */
static double entropy(const char *p, size_t n)
{
        unsigned counts[256] = {};
        double h = 0;

        for (size_t i = 0; i < n; i++)
                counts[(unsigned char) p[i]]++;
        for (unsigned i = 0; i < 256; i++)
                if (counts[i]) {
                        double f = (double) counts[i] / (double) n;

                        h -= f * log2(f);
                }
        return h;
}

static bool is_uuid(const char *p, size_t n)
{
        if (n != 36 || p[8] != '-' || p[13] != '-' || p[18] != '-' || p[23] != '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
                      (p[i] >= 'A' && p[i] <= 'F') || p[i] == '-'))
                        return false;
        return true;
}

/*
 * A value that looks generated, after a secret-named key: an entropy gate as
 * public rule sets' generic rule, a little lower (3.2 bits per byte: random hex
 * reaches 3.5 only most of the time) and lower still for short values whose
 * entropy cannot reach it (log2(n) - 0.9); lower after a strong secret word
 * (token, secret, password: the rule set's vendor rules have no entropy gate
 * at all next to their keyword); letters and digits mixed, or a long run of digits (numeric API keys). A UUID counts
 * only after a strong secret word (strong): "request_id"-like keys carry them.
 */
static bool looks_random(const char *p, size_t n, bool strong)
{
        bool digit = false, lower = false;
        size_t digits = 0, uppers = 0;
        double need;

        if (is_uuid(p, n))
                return strong;
        for (size_t i = 0; i < n; i++) {
                char c = p[i];

                if (c >= '0' && c <= '9') {
                        digit = true;
                        digits++;
                } else if (c >= 'a' && c <= 'z')
                        lower = true;
                else if (c >= 'A' && c <= 'Z')
                        uppers++;
        }
        if (digits == n)
                return strong && n >= 16 && entropy(p, n) >= 2.2;
        if (!lower && uppers == 0)
                return false;
        /* letters only: random when both cases are frequent ("GoogleOAuthProvider" is a name) */
        if (!digit && (n < 14 || uppers * 4 < n || (n - uppers) * 4 < n))
                return false;
        need = strong ? MIN(2.6, log2((double) n) - 1.4) : MIN(3.2, log2((double) n) - 0.9);
        return entropy(p, n) >= need;
}

/* A key naming the secret itself (not merely "...key"): token, secret, password, auth. */
static bool key_is_strong(const char *k, size_t n)
{
        static const char *const words[] = {
                "token", "secret", "pass", "pwd", "auth", "cred", "api"
        };

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (memmem_nocase(k, n, words[i]))
                        return true;
        return false;
}

static size_t skip_trailer(const char *p, size_t n)
{
        size_t i = 0;

        for (;;) {
                while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '"' ||
                                 p[i] == '\'' || p[i] == ','))
                        i++;
                if (i + 1 < n && p[i] == '\\' && p[i + 1] == 'n') {
                        i += 2;
                        continue;
                }
                return i;
        }
}

static bool starts_with_marker(const char *p, size_t n)
{
        size_t i = skip_trailer(p, n);

        return n - i >= 10 && memcmp(p + i, "[REDACTED:", 10) == 0;
}

/* pcre2_match(); a failure other than "no match" (match or depth limit, JIT
 * stack, memory) counts as a hit: a line the check could not finish is not fit
 * to send (the check fails closed). */
static int lc_match(struct scan *s, const pcre2_code *re, const char *text, size_t len, size_t off)
{
        int rc = pcre2_match(re, (PCRE2_SPTR) text, len, off, 0, s->d->md, NULL);

        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
                (void) add_hit(s, s->line, "unchecked-line"); /* counted even without memory */
        return rc;
}

static int check_tokens(struct scan *s, const char *text, size_t len, size_t off)
{
        struct detectors *d = s->d;
        int rc, r;

        while (off < len) {
                rc = lc_match(s, d->tokens, text, len, off);
                if (rc < 0)
                        break;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->md);
                const char *name = "token";

                for (int g = 1; g < rc; g++)
                        if (ov[2 * g] != PCRE2_UNSET && (uint32_t) g < d->n_names && d->names[g]) {
                                name = d->names[g];
                                break;
                        }
                r = add_hit(s, s->line, name);
                if (r < 0)
                        return r;
                off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        return 0;
}

static int check_pem(struct scan *s, const char *text, size_t len)
{
        struct detectors *d = s->d;
        size_t off = 0;
        int r;

        if (!memmem(text, len, "PRIVATE KEY", 11))
                return 0;
        while (off < len && lc_match(s, d->pem, text, len, off) >= 0) {
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->md);
                size_t e = ov[1];

                if (skip_trailer(text + e, len - e) == len - e) {
                        /* header at the end of the line: the next line must be a marker */
                        s->pem_pending = true;
                        s->pem_line = s->line;
                } else if (!starts_with_marker(text + e, len - e)) {
                        r = add_hit(s, s->line, "private-key");
                        if (r < 0)
                                return r;
                }
                off = e;
        }
        return 0;
}

/* A word of the SQL detector in either case (the regex itself is caseless). */
static bool has_sql_word(const char *text, size_t len)
{
        return memmem(text, len, "PASSWORD", 8) || memmem(text, len, "password", 8) ||
               memmem(text, len, "Password", 8) || memmem(text, len, "IDENTIFIED", 10) ||
               memmem(text, len, "identified", 10) || memmem(text, len, "set_config", 10) ||
               memmem(text, len, " TO '", 5) || memmem(text, len, " to '", 5);
}

static int check_gated(struct scan *s, const char *text, size_t len)
{
        for (size_t i = 0; i < ELEMENTSOF(gated); i++) {
                if (!memmem(text, len, gated[i].needle, strlen(gated[i].needle)) ||
                    lc_match(s, s->d->gated[i], text, len, 0) < 0)
                        continue;
                int r = add_hit(s, s->line, gated[i].detector);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_sql(struct scan *s, const char *text, size_t len)
{
        if (!has_sql_word(text, len) || lc_match(s, s->d->sql, text, len, 0) < 0)
                return 0;
        return add_hit(s, s->line, "sql-password");
}

static int check_entropy(struct scan *s, const char *text, size_t len, size_t off)
{
        struct detectors *d = s->d;
        int rc, r;

        while (off < len) {
                rc = lc_match(s, d->entropy, text, len, off);
                if (rc < 0)
                        break;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(d->md);
                size_t ks = ov[2], ke = ov[3], vs = ov[4], ve = ov[5];

                if (vs != PCRE2_UNSET && ks != PCRE2_UNSET) {
                        /* the key with up to 16 bytes before it: "public_key", "key_id" */
                        size_t from = ks > 16 ? ks - 16 : 0;

                        if (!key_is_reference(text + from, ke - from) &&
                            !key_is_property(text + ks, ke - ks) &&
                            looks_random(text + vs, ve - vs, key_is_strong(text + ks, ke - ks))) {
                                r = add_hit(s, s->line, "high-entropy-secret");
                                if (r < 0)
                                        return r;
                        }
                }
                off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        return 0;
}

/* Checks text (one line, or a piece of a long one) at line number s->line. */
static int check_text(struct scan *s, const char *text, size_t len)
{
        size_t from[PRE_FROM_N] = { 0 };
        uint8_t pre = prefilter(s->d, text, len, from);
        int r = 0;

        if (s->pem_pending) {
                s->pem_pending = false;
                if (!starts_with_marker(text, len))
                        r = add_hit(s, s->pem_line, "private-key");
        }
        if (r >= 0 && (pre & PRE_TOKENS))
                r = check_tokens(s, text, len, from[PRE_FROM_TOKENS]);
        if (r >= 0 && (pre & PRE_PEM))
                r = check_pem(s, text, len);
        if (r >= 0 && (pre & PRE_GATED))
                r = check_gated(s, text, len);
        if (r >= 0 && (pre & PRE_SQL))
                r = check_sql(s, text, len);
        if (r >= 0 && (pre & PRE_ENTROPY))
                r = check_entropy(s, text, len, from[PRE_FROM_ENTROPY]);
        return r;
}

/* A member begins: its name is checked as line 0, its content from line 1. */
static int scan_begin(struct scan *s, const char *member)
{
        s->member = member ? member : "";
        s->line = 0;
        s->len = 0;
        s->member_hits = 0;
        s->pem_pending = false;
        int r = check_text(s, s->member, strlen(s->member));
        s->line = 1;
        s->pem_pending = false;
        return r;
}

/* Content of the current member, in order, in pieces of any size. Whole lines
 * are checked where they lie; a line cut by a piece boundary (or longer than
 * LC_LINE_MAX) is gathered in s->buf. */
static int scan_feed(struct scan *s, const char *data, size_t n)
{
        const char *p = data, *end = data + n;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t take = nl ? (size_t) (nl - p) : (size_t) (end - p);
                size_t room = LC_LINE_MAX - s->len;

                if (s->len == 0 && nl && take <= LC_LINE_MAX) {
                        /* a whole line in the piece: no copy */
                        r = check_text(s, p, take);
                        if (r < 0)
                                return r;
                        s->line++;
                        p = nl + 1;
                        continue;
                }
                if (take > room)
                        take = room;
                memcpy(s->buf + s->len, p, take);
                s->len += take;
                p += take;
                if (nl && p == nl) {
                        r = check_text(s, s->buf, s->len);
                        if (r < 0)
                                return r;
                        s->len = 0;
                        s->line++;
                        p++;
                } else if (s->len == LC_LINE_MAX) {
                        /* a long line: check this piece, keep an overlap */
                        r = check_text(s, s->buf, s->len);
                        if (r < 0)
                                return r;
                        memmove(s->buf, s->buf + s->len - LC_OVERLAP, LC_OVERLAP);
                        s->len = LC_OVERLAP;
                }
        }
        return 0;
}

/* The member ended: its last line without a newline, a PEM header left open. */
static int scan_end(struct scan *s)
{
        int r;

        if (s->len > 0) {
                r = check_text(s, s->buf, s->len);
                s->len = 0;
                if (r < 0)
                        return r;
        }
        if (s->pem_pending) {
                s->pem_pending = false;
                r = add_hit(s, s->pem_line, "private-key");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int scan_entry(struct scan *s, struct archive *a)
{
        char block[65536];
        int r;

        for (;;) {
                la_ssize_t n = archive_read_data(a, block, sizeof(block));

                if (n < 0) {
                        log_debug("leak check: cannot read '%s': %s", s->member,
                                  archive_error_string(a));
                        return -EIO;
                }
                if (n == 0)
                        break;
                r = scan_feed(s, block, (size_t) n);
                if (r < 0)
                        return r;
        }
        return scan_end(s);
}

static int scan_init(struct scan *s, struct detectors *d)
{
        int r = detectors_init(d);

        if (r < 0)
                return r;
        s->d = d;
        s->hits = json_array();
        s->buf = xmalloc(LC_LINE_MAX + 1);
        return s->hits && s->buf ? 0 : -ENOMEM;
}

static void scan_done(struct scan *s, struct detectors *d)
{
        json_decref(s->hits);
        s->hits = NULL;
        s->buf = mfree(s->buf);
        detectors_done(d);
}

int leakcheck_bundle(const char *bundle_path, json_t **ret_hits)
{
        struct detectors d = {};
        struct scan s = {};
        struct archive *a = NULL;
        struct archive_entry *entry;
        int r;

        if (!bundle_path)
                return -EINVAL;
        r = scan_init(&s, &d);
        if (r < 0)
                goto finish;
        a = archive_read_new();
        if (!a) {
                r = -ENOMEM;
                goto finish;
        }
        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_filename(a, bundle_path, 65536) != ARCHIVE_OK) {
                int e = archive_errno(a);

                log_debug("leak check: cannot open '%s': %s", bundle_path, archive_error_string(a));
                r = e > 0 ? -e : -EIO;
                goto finish;
        }
        for (;;) {
                int k = archive_read_next_header(a, &entry);

                if (k == ARCHIVE_EOF)
                        break;
                if (k < ARCHIVE_WARN) {
                        log_debug("leak check: '%s': %s", bundle_path, archive_error_string(a));
                        r = -EIO;
                        goto finish;
                }
                /* the member name itself */
                r = scan_begin(&s, archive_entry_pathname(entry));
                if (r < 0)
                        goto finish;
                if (archive_entry_filetype(entry) != AE_IFREG)
                        continue;
                r = scan_entry(&s, a);
                if (r < 0)
                        goto finish;
        }
        r = (int) MIN(s.n_hits, (uint64_t) INT32_MAX);
        if (ret_hits)
                *ret_hits = json_incref(s.hits);
finish:
        if (a)
                archive_read_free(a);
        scan_done(&s, &d);
        return r;
}

/*
 * The streaming check: the same scan over the members' bytes as they are
 * handed over, on a thread of its own. The producers fill chunks from a small
 * ring (LC_CHUNKS of LC_CHUNK bytes, so memory is bounded and a producer
 * waits when the check lags); the thread takes them in order. A chunk holds
 * the bytes of as many members as fit (marks say where each starts), so small
 * members cost one hand-off per chunk, not one each.
 *
 * Members come in streams: stream 0 is the sequence of leakcheck_member() and
 * leakcheck_feed() (the bundle writer's), and leakcheck_open() gives others,
 * whose bytes may be handed over between those of other members (the sink
 * checks a large member while it is being staged, as the writer archives
 * earlier ones). A mark switches the stream the following bytes belong to;
 * the thread keeps each stream's scan state (its line, its unfinished line).
 * Producers may be on different threads: prod_lock orders them.
 */
#define LC_CHUNK (32u * 1024u)
/* Handed over in batches of half of them (include/ring-sync.h). 512 KiB in
 * all: with 256 KiB (eight), the collecting thread waited for room some 65
 * times in the end-to-end benchmark while the check was kept from
 * its CPU by the compressor, and the two CPUs were idle 0.07-0.16 s more
 * per run (medians of 11). */
#define LC_CHUNKS 16u
#define LC_MARKS 128u /* member starts in one chunk, at most */
#define LC_STREAMS 4u /* stream 0 and three opened ones */

enum lc_mark_kind {
        LC_OPEN,    /* a member begins in stream id (ending the one before it there) */
        LC_SWITCH,  /* the bytes that follow are stream id's */
        LC_CLOSE,   /* stream id's member ends */
        LC_DISCARD, /* stream id's member ends and its hits are dropped */
        LC_END,     /* the end of members: every stream ends */
};

struct lc_mark {
        char *member; /* LC_OPEN: the member's name */
        size_t off;   /* where in the chunk's data the mark is */
        uint8_t kind; /* enum lc_mark_kind */
        uint8_t id;
        bool digest; /* LC_OPEN: the member's SHA-256 is wanted */
};

struct lc_chunk {
        size_t len;
        size_t n_marks;
        struct lc_mark marks[LC_MARKS];
        char data[LC_CHUNK];
};

/* A stream's scan state while another stream's bytes are scanned. */
struct lc_stream {
        bool in_member;
        char *member; /* its name, until the stream's next member begins */
        uint64_t line, pem_line, member_hits;
        bool pem_pending;
        char *buf;
        size_t len;
        struct sha256 *sha; /* leakcheck_open() with a digest: of the member's bytes */
        uint64_t bytes;     /* of the member so far (a discarded member's are not counted) */
        char hex[SHA256_HEX_LEN + 1];
};

struct leakcheck {
        struct ring_sync ring; /* of chunks; its lock also guards error, bytes, members, cpu */
        struct lc_chunk chunks[LC_CHUNKS];
        struct lc_chunk *cur; /* being filled, or NULL */
        bool started;
        int error;
        pthread_t thread;
        struct detectors d;
        struct scan s;
        /* producers' side, under prod_lock */
        pthread_mutex_t prod_lock;
        unsigned prod_id;        /* the stream the bytes handed over belong to */
        bool opened[LC_STREAMS]; /* streams given out by leakcheck_open() */
        /* the thread's side */
        unsigned scan_id; /* the stream s is scanning */
        bool failed;      /* the check cannot run: only the digests go on */
        struct lc_stream streams[LC_STREAMS];
        uint64_t bytes;
        uint64_t members;
        usec_t cpu; /* thread CPU time, at the last sync */
};

static usec_t thread_cpu(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
                return 0;
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* On the thread: makes id the stream s scans, saving the other's state. */
static int lc_switch(struct leakcheck *lc, unsigned id)
{
        struct lc_stream *o = &lc->streams[lc->scan_id], *n = &lc->streams[id];

        if (id == lc->scan_id)
                return 0;
        if (!n->buf) {
                n->buf = xmalloc(LC_LINE_MAX + 1);
                if (!n->buf)
                        return -ENOMEM;
        }
        o->line = lc->s.line;
        o->pem_line = lc->s.pem_line;
        o->member_hits = lc->s.member_hits;
        o->pem_pending = lc->s.pem_pending;
        o->buf = lc->s.buf;
        o->len = lc->s.len;
        lc->s.member = n->member ? n->member : "";
        lc->s.line = n->line;
        lc->s.pem_line = n->pem_line;
        lc->s.member_hits = n->member_hits;
        lc->s.pem_pending = n->pem_pending;
        lc->s.buf = n->buf;
        lc->s.len = n->len;
        lc->scan_id = id;
        return 0;
}

/* On the thread: drops the hits of the member s scans (it is checked again). */
static void lc_drop_hits(struct leakcheck *lc)
{
        for (size_t i = json_array_size(lc->s.hits); i > 0; i--) {
                const char *m = json_string_value(
                        json_object_get(json_array_get(lc->s.hits, i - 1), "member"));

                if (m && strcmp(m, lc->s.member) == 0)
                        (void) json_array_remove(lc->s.hits, i - 1);
        }
        lc->s.n_hits -= MIN(lc->s.n_hits, lc->s.member_hits);
        lc->s.member_hits = 0;
}

/* On the thread: ends the member of the stream s scans. */
static int lc_end_member(struct leakcheck *lc, bool discard)
{
        struct lc_stream *st = &lc->streams[lc->scan_id];
        int r = 0;

        if (!st->in_member)
                return 0;
        st->in_member = false;
        if (st->sha) {
                sha256_final_hex(st->sha, st->hex);
                st->sha = sha256_free(st->sha);
        }
        if (!lc->failed)
                r = scan_end(&lc->s);
        if (discard) {
                lc_drop_hits(lc);
                lc->members--;
                lc->bytes -= st->bytes;
        }
        return r;
}

/* On the thread: what a mark says. */
static int lc_scan_mark(struct leakcheck *lc, struct lc_mark *m)
{
        int r;

        if (m->kind == LC_END) {
                for (unsigned i = 0; i < LC_STREAMS; i++) {
                        if (!lc->streams[i].in_member)
                                continue;
                        r = lc_switch(lc, i);
                        if (r >= 0)
                                r = lc_end_member(lc, false);
                        if (r < 0)
                                return r;
                }
                return lc_switch(lc, 0);
        }
        r = lc_switch(lc, m->id);
        if (r < 0 || m->kind == LC_SWITCH)
                return r;
        r = lc_end_member(lc, m->kind == LC_DISCARD);
        if (r < 0 || m->kind != LC_OPEN)
                return r;
        /* the name outlives its chunk (the scan names the member), not its member */
        free(lc->streams[m->id].member);
        lc->streams[m->id].member = TAKE_PTR(m->member);
        lc->streams[m->id].in_member = true;
        lc->streams[m->id].hex[0] = 0;
        lc->streams[m->id].bytes = 0;
        if (m->digest) {
                lc->streams[m->id].sha = sha256_new();
                if (!lc->streams[m->id].sha)
                        return -ENOMEM;
        }
        lc->members++;
        return lc->failed ? 0 : scan_begin(&lc->s, lc->streams[m->id].member);
}

/* One chunk, on the thread: the bytes between marks go to their member. */
static int lc_scan_chunk(struct leakcheck *lc, struct lc_chunk *c)
{
        size_t pos = 0;
        int r = 0;

        for (size_t i = 0; i <= c->n_marks && r >= 0; i++) {
                size_t to = i < c->n_marks ? c->marks[i].off : c->len;

                struct lc_stream *st = &lc->streams[lc->scan_id];

                lc->bytes += to - pos; /* before a mark can take a discarded member's back */
                if (to > pos && st->in_member) {
                        st->bytes += to - pos;
                        if (st->sha)
                                sha256_update(st->sha, c->data + pos, to - pos);
                }
                if (to > pos && st->in_member && !lc->failed)
                        r = scan_feed(&lc->s, c->data + pos, to - pos);
                pos = to;
                if (r >= 0 && i < c->n_marks)
                        r = lc_scan_mark(lc, &c->marks[i]);
        }
        return r;
}

static void lc_chunk_clear(struct lc_chunk *c)
{
        for (size_t i = 0; i < c->n_marks; i++)
                c->marks[i].member = mfree(c->marks[i].member);
        c->n_marks = 0;
        c->len = 0;
}

static void *lc_main(void *userdata)
{
        struct leakcheck *lc = userdata;

        /* At the collecting thread's priority, not a helper's: the
         * compressors, which yield, take over what their producers cannot
         * wait for (agent/pipeline/gzpool.c), but the check's chunks must be
         * scanned in order here, so the collecting thread would wait for it. */

        /* a stop (leakcheck_free()) drops what was not scanned */
        while (ring_sync_take(&lc->ring, false)) {
                struct lc_chunk *c = &lc->chunks[lc->ring.got % LC_CHUNKS];
                int r;

                pthread_mutex_lock(&lc->ring.lock);
                lc->failed = lc->error < 0;
                pthread_mutex_unlock(&lc->ring.lock);
                /* after a failure the chunks are still read, for the digests */
                r = lc_scan_chunk(lc, c);
                lc_chunk_clear(c);
                usec_t cpu = thread_cpu();
                pthread_mutex_lock(&lc->ring.lock);
                if (r < 0 && lc->error == 0)
                        lc->error = r;
                lc->cpu = cpu;
                pthread_mutex_unlock(&lc->ring.lock);
                ring_sync_release(&lc->ring);
        }
        return NULL;
}

int leakcheck_new(struct leakcheck **ret)
{
        struct leakcheck *lc = xcalloc(1, sizeof(*lc));
        int r;

        if (!lc)
                return -ENOMEM;
        ring_sync_init(&lc->ring, LC_CHUNKS);
        pthread_mutex_init(&lc->prod_lock, NULL);
        r = scan_init(&lc->s, &lc->d);
        if (r >= 0) {
                lc->streams[0].buf = lc->s.buf;
                r = thread_start(&lc->thread, 0, lc_main, lc);
                lc->started = r >= 0;
        }
        if (r < 0) {
                leakcheck_free(lc);
                return r;
        }
        *ret = lc;
        return 0;
}

/* Hands the current chunk to the thread. Under prod_lock. */
static void lc_publish(struct leakcheck *lc)
{
        ring_sync_publish(&lc->ring);
        lc->cur = NULL;
}

/* Takes the next free chunk, waiting for the thread when all are in flight. */
static void lc_acquire(struct leakcheck *lc)
{
        struct lc_chunk *c;

        ring_sync_wait_room(&lc->ring);
        c = &lc->chunks[lc->ring.put % LC_CHUNKS];
        c->len = 0;
        c->n_marks = 0;
        lc->cur = c;
}

/* A mark at the current position. Under prod_lock. */
static void lc_mark(struct leakcheck *lc, enum lc_mark_kind kind, unsigned id, char *member)
{
        if (lc->cur && (lc->cur->n_marks == LC_MARKS || lc->cur->len == LC_CHUNK))
                lc_publish(lc);
        if (!lc->cur)
                lc_acquire(lc);
        lc->cur->marks[lc->cur->n_marks++] = (struct lc_mark) {
                .member = member, .off = lc->cur->len, .kind = (uint8_t) kind, .id = (uint8_t) id
        };
        lc->prod_id = id;
}

static void lc_fail(struct leakcheck *lc, int r)
{
        pthread_mutex_lock(&lc->ring.lock);
        lc->error = lc->error ?: r;
        pthread_mutex_unlock(&lc->ring.lock);
}

static int lc_begin(struct leakcheck *lc, unsigned id, const char *name, bool digest)
{
        char *m = xstrdup(name ? name : "");

        if (!m) {
                lc_fail(lc, -ENOMEM);
                return -ENOMEM;
        }
        lc_mark(lc, LC_OPEN, id, m);
        lc->cur->marks[lc->cur->n_marks - 1].digest = digest;
        return 0;
}

int leakcheck_member(struct leakcheck *lc, const char *name)
{
        int r;

        pthread_mutex_lock(&lc->prod_lock);
        r = lc_begin(lc, 0, name, false);
        pthread_mutex_unlock(&lc->prod_lock);
        return r;
}

static void lc_feed(struct leakcheck *lc, unsigned id, const char *p, size_t len)
{
        if (len > 0 && lc->prod_id != id)
                lc_mark(lc, LC_SWITCH, id, NULL);
        while (len > 0) {
                size_t n;

                if (!lc->cur)
                        lc_acquire(lc);
                n = MIN(len, LC_CHUNK - lc->cur->len);
                memcpy(lc->cur->data + lc->cur->len, p, n);
                lc->cur->len += n;
                p += n;
                len -= n;
                if (lc->cur->len == LC_CHUNK)
                        lc_publish(lc);
        }
}

void leakcheck_feed(struct leakcheck *lc, const void *data, size_t len)
{
        pthread_mutex_lock(&lc->prod_lock);
        lc_feed(lc, 0, data, len);
        pthread_mutex_unlock(&lc->prod_lock);
}

int leakcheck_open(struct leakcheck *lc, const char *name, bool digest)
{
        int r = -EMFILE;

        pthread_mutex_lock(&lc->prod_lock);
        for (unsigned i = 1; i < LC_STREAMS; i++)
                if (!lc->opened[i]) {
                        r = lc_begin(lc, i, name, digest);
                        if (r >= 0) {
                                lc->opened[i] = true;
                                r = (int) i;
                        }
                        break;
                }
        pthread_mutex_unlock(&lc->prod_lock);
        return r;
}

void leakcheck_write(struct leakcheck *lc, int id, const void *data, size_t len)
{
        if (id <= 0 || id >= (int) LC_STREAMS)
                return;
        pthread_mutex_lock(&lc->prod_lock);
        lc_feed(lc, (unsigned) id, data, len);
        pthread_mutex_unlock(&lc->prod_lock);
}

int leakcheck_close(struct leakcheck *lc, int id, bool discard, char *hex)
{
        int r = 0;

        if (id <= 0 || id >= (int) LC_STREAMS)
                return -EINVAL;
        pthread_mutex_lock(&lc->prod_lock);
        if (!lc->opened[id])
                r = -EINVAL;
        else {
                lc_mark(lc, discard ? LC_DISCARD : LC_CLOSE, (unsigned) id, NULL);
                lc->opened[id] = false;
        }
        if (r >= 0 && hex) {
                /* the thread is at most the ring behind: wait until it passed the mark */
                lc_publish(lc);
                ring_sync_wait_empty(&lc->ring);
                memcpy(hex, lc->streams[id].hex, SHA256_HEX_LEN + 1);
                if (!hex[0])
                        r = -ENOMEM; /* the digest could not be made */
        }
        pthread_mutex_unlock(&lc->prod_lock);
        return r;
}

int leakcheck_sync(struct leakcheck *lc, json_t **ret_hits, struct leakcheck_stats *ret_stats)
{
        int r;

        /* the end of the last member, then wait until the thread has scanned everything */
        pthread_mutex_lock(&lc->prod_lock);
        lc_mark(lc, LC_END, 0, NULL);
        lc_publish(lc);
        pthread_mutex_unlock(&lc->prod_lock);
        ring_sync_wait_empty(&lc->ring);
        pthread_mutex_lock(&lc->ring.lock);
        r = lc->error;
        if (ret_stats)
                *ret_stats = (struct leakcheck_stats) { .bytes = lc->bytes,
                                                        .members = lc->members,
                                                        .cpu = lc->cpu };
        pthread_mutex_unlock(&lc->ring.lock);
        if (r < 0)
                return r;
        if (ret_hits)
                *ret_hits = json_deep_copy(lc->s.hits);
        if (ret_hits && !*ret_hits)
                return -ENOMEM;
        return (int) MIN(lc->s.n_hits, (uint64_t) INT32_MAX);
}

struct leakcheck *leakcheck_free(struct leakcheck *lc)
{
        if (!lc)
                return NULL;
        ring_sync_stop(&lc->ring);
        if (lc->started)
                pthread_join(lc->thread, NULL);
        for (size_t i = 0; i < LC_CHUNKS; i++)
                lc_chunk_clear(&lc->chunks[i]);
        for (size_t i = 0; i < LC_STREAMS; i++)
                if (lc->streams[i].buf == lc->s.buf)
                        lc->s.buf = NULL; /* freed as the stream's */
        for (size_t i = 0; i < LC_STREAMS; i++) {
                free(lc->streams[i].member);
                free(lc->streams[i].buf);
                sha256_free(lc->streams[i].sha);
        }
        scan_done(&lc->s, &lc->d);
        pthread_mutex_destroy(&lc->prod_lock);
        ring_sync_done(&lc->ring);
        free(lc);
        return NULL;
}
