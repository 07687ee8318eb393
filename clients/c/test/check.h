/* check.h: the few lines the C tests share: a result per named check and a closing count. */
#ifndef PRESENCE_TEST_CHECK_H
#define PRESENCE_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_passed, check_failed;

/* Prints "ok - NAME" or "not ok - NAME: WHY" (printf-style name) and counts it; returns ok. */
static int check(int ok, const char *why, const char *name_format, ...)
{
    va_list args;
    printf(ok ? "ok - " : "not ok - ");
    va_start(args, name_format);
    vprintf(name_format, args);
    va_end(args);
    if (!ok)
        printf(": %s", why);
    printf("\n");
    if (ok)
        check_passed++;
    else
        check_failed++;
    return ok;
}

/* The closing line and the exit status: 0 only when something ran and nothing failed. */
static int check_summary(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
    return check_failed == 0 && check_passed > 0 ? 0 : 1;
}

#endif
