/* SPDX-License-Identifier: MIT */
/*
 * Failed systemd units, asked of PID 1 over the system bus (sd-bus
 * ListUnitsFiltered(["failed"]) and each unit's Result property), written to
 * environment/failed-units.txt with one FINDING_UNIT_FAILED per unit. Only on
 * the live host and when a bus is there; otherwise skipped with the reason
 * as a note. Without libsystemd the section is always skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-bus.h>
#endif

#include "alloc-util.h"
#include "environment.h"
#include "finding.h"
#include "macro.h"
#include "sink.h"

#ifdef HAVE_LIBSYSTEMD

#define UNITS_OUT_MAX (256u * 1024u)

/* The D-Bus interface that carries a unit type's Result property. */
static const char *result_interface(const char *unit)
{
        static const struct {
                const char *suffix;
                const char *iface;
        } table[] = {
                { ".service", "org.freedesktop.systemd1.Service" },
                { ".socket", "org.freedesktop.systemd1.Socket" },
                { ".mount", "org.freedesktop.systemd1.Mount" },
                { ".automount", "org.freedesktop.systemd1.Automount" },
                { ".swap", "org.freedesktop.systemd1.Swap" },
                { ".timer", "org.freedesktop.systemd1.Timer" },
                { ".path", "org.freedesktop.systemd1.Path" },
                { ".scope", "org.freedesktop.systemd1.Scope" },
        };
        size_t n = strlen(unit);

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                size_t k = strlen(table[i].suffix);

                if (n > k && streq(unit + n - k, table[i].suffix))
                        return table[i].iface;
        }
        return NULL;
}

static usec_t call_timeout(struct environment_state *st, struct collect_ctx *ctx)
{
        usec_t t = now(CLOCK_MONOTONIC), deadline = ctx_deadline(ctx), timeout = st->bus_timeout;

        if (deadline != USEC_INFINITY && deadline > t && deadline - t < timeout)
                timeout = deadline - t;
        return timeout ? timeout : 1;
}

/* Calls a systemd1 method with our own timeout (sd_bus_call, so no systemd >= 240 API). */
static int call(sd_bus *bus, const char *path, const char *iface, const char *method,
                usec_t timeout, sd_bus_error *error, sd_bus_message **ret_reply, const char *types,
                ...)
{
        sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", path, iface,
                                           method);
        if (r >= 0 && types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call(bus, m, timeout, error, ret_reply);
        sd_bus_message_unref(m);
        return r;
}

/* The unit's Result property ("exit-code", "timeout", …); NULL if it cannot be had. */
static char *unit_result(sd_bus *bus, const char *path, const char *id, usec_t timeout)
{
        const char *iface = result_interface(id), *v = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char *result = NULL;

        if (iface &&
            call(bus, path, "org.freedesktop.DBus.Properties", "Get", timeout, &error, &reply, "ss",
                 iface, "Result") >= 0 &&
            sd_bus_message_read(reply, "v", "s", &v) >= 0 && v)
                result = xstrdup(v);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return result;
}

static void report_unit(struct environment_state *st, struct sink *s, struct dynbuf *out,
                        const char *id, const char *desc, const char *load, const char *active,
                        const char *sub, const char *result)
{
        struct finding f = {
                .kind = FINDING_UNIT_FAILED,
                .subject = id,
                .detail = result ? result : "failed",
        };

        (void) dynbuf_addf(out, "%-40s %-8s %-8s %-10s %-16s %s\n", id, load, active, sub, f.detail,
                           desc);
        if (sink_add_finding(s, &f) >= 0)
                st->produced++;
}

int environment_units(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        _cleanup_dynbuf_ struct dynbuf out = {};
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus *bus = NULL;
        uint64_t n = 0;
        bool cut = false;
        int r;

        if (!ctx_is_live(ctx)) {
                sink_note(s, "failed units skipped: the root is not the live host");
                return -ENOTSUP;
        }
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                sink_note(s, "failed units skipped: no system bus (%s)", strerror(-r));
                goto finish;
        }
        r = call(bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                 "ListUnitsFiltered", call_timeout(st, ctx), &error, &reply, "as", 1, "failed");
        if (r < 0) {
                sink_note(s, "failed units skipped: systemd not reachable on the bus (%s)",
                          error.message ? error.message : strerror(-r));
                goto finish;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                goto bad_reply;

        dynbuf_init(&out, UNITS_OUT_MAX);
        (void) dynbuf_addf(&out, "%-40s %-8s %-8s %-10s %-16s %s\n", "unit", "load", "active",
                           "sub", "result", "description");
        for (;;) {
                const char *id, *desc, *load, *active, *sub, *following, *path, *jtype, *jpath;
                _cleanup_free_ char *result = NULL;
                uint32_t job;

                r = sd_bus_message_read(reply, "(ssssssouso)", &id, &desc, &load, &active, &sub,
                                        &following, &path, &job, &jtype, &jpath);
                if (r < 0)
                        goto bad_reply;
                if (r == 0)
                        break;
                if (!streq(active, "failed"))
                        continue;
                if (n >= st->max_failed_units || ctx_expired(ctx)) {
                        cut = true;
                        continue;
                }
                result = unit_result(bus, path, id, call_timeout(st, ctx));
                report_unit(st, s, &out, id, desc, load, active, sub, result);
                n++;
        }
        if (n == 0)
                (void) dynbuf_addstr(&out, "no failed units\n");
        if (cut) {
                sink_note(s, "failed units cut at %" PRIu64 " (max_failed_units or deadline)", n);
                sink_mark_partial(s);
        }
        r = environment_add(st, s, "environment/failed-units.txt", &out);
        goto finish;

bad_reply:
        sink_note(s, "failed units: unexpected reply from systemd (%s)", strerror(-r));
finish:
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return r < 0 ? r : 0;
}

#else

int environment_units(struct environment_state *st, struct collect_ctx *ctx, struct sink *s)
{
        (void) st;
        (void) ctx;
        sink_note(s, "failed units skipped: built without libsystemd");
        return -ENOTSUP;
}

#endif
