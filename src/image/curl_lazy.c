/* libcurl, opened when pierd first talks to a registry.  With what it
 * needs (OpenSSL's libssl, Kerberos, LDAP, SASL, SSH, RTMP, nghttp2,
 * brotli, ...) it is some seventeen shared libraries that every start of
 * pierd mapped and relocated (about 165 page faults, milliseconds in a VM)
 * for a pull or a push that may never come.  pierd is linked without it:
 * these are the libcurl functions registry*.c call, each handing on to
 * libcurl's own, which curl_global_init (reg_client_new, once) looks up. */
#define CURL_DISABLE_TYPECHECK /* curl.h's curl_easy_setopt macro */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define LIBCURL "libcurl.so.4"

static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_reset)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    char *(*easy_escape)(CURL *, const char *, int);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} fn;

/* why libcurl could not be opened, for curl_easy_strerror */
static const char *load_error = LIBCURL " is not loaded";

static bool load(void)
{
    void *h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        load_error = dlerror();
        return false;
    }
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&fn.global_init, "curl_global_init"},
        {(void **)&fn.easy_init, "curl_easy_init"},
        {(void **)&fn.easy_setopt, "curl_easy_setopt"},
        {(void **)&fn.easy_perform, "curl_easy_perform"},
        {(void **)&fn.easy_cleanup, "curl_easy_cleanup"},
        {(void **)&fn.easy_getinfo, "curl_easy_getinfo"},
        {(void **)&fn.easy_reset, "curl_easy_reset"},
        {(void **)&fn.easy_strerror, "curl_easy_strerror"},
        {(void **)&fn.easy_escape, "curl_easy_escape"},
        {(void **)&fn.slist_append, "curl_slist_append"},
        {(void **)&fn.slist_free_all, "curl_slist_free_all"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        if ((*syms[i].slot = dlsym(h, syms[i].name)) == NULL) {
            load_error = LIBCURL " lacks a function pierd uses";
            fn.easy_strerror = NULL;
            return false;
        }
    }
    return true;
}

CURLcode curl_global_init(long flags)
{
    if (fn.global_init == NULL && !load())
        return CURLE_FAILED_INIT;
    return fn.global_init(flags);
}

const char *curl_easy_strerror(CURLcode code)
{
    return fn.easy_strerror ? fn.easy_strerror(code) : load_error;
}

CURL *curl_easy_init(void)
{
    return fn.easy_init ? fn.easy_init() : NULL;
}

/* The one argument after the option, of the type its number says (as
 * libcurl reads it). */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = fn.easy_setopt(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = fn.easy_setopt(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_BLOB)
        rc = fn.easy_setopt(curl, option, va_arg(ap, curl_off_t));
    else
        rc = fn.easy_setopt(curl, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

/* every kind of information is written through a pointer */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    va_list ap;
    va_start(ap, info);
    CURLcode rc = fn.easy_getinfo(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    return fn.easy_perform(curl);
}

void curl_easy_cleanup(CURL *curl)
{
    if (fn.easy_cleanup)
        fn.easy_cleanup(curl);
}

void curl_easy_reset(CURL *curl)
{
    fn.easy_reset(curl);
}

char *curl_easy_escape(CURL *curl, const char *string, int length)
{
    return fn.easy_escape ? fn.easy_escape(curl, string, length) : NULL;
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
    return fn.slist_append ? fn.slist_append(list, data) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    if (fn.slist_free_all)
        fn.slist_free_all(list);
}
