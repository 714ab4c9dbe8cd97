#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Gather bench/results/*.json into bench/results.json, a table and a chart.

Run by bench/run after the benchmarks; alone it re-draws from the last
results:  python3 bench/report.py [BENCH_DIR]
Writes BENCH_DIR/results.json, results.dat (for bench/chart.gp), results.md
(the table) and results.png (with gnuplot from Debian's gnuplot-nox).
"""
import json
import os
import platform
import re
import subprocess
import sys
import time

here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.abspath(__file__))
res_dir = os.path.join(here, "results")


def load(name):
    try:
        with open(os.path.join(res_dir, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ms(v):
    """'2.17ms' / '850.00us' / '1.2s' / 2.17 -> milliseconds."""
    if isinstance(v, (int, float)):
        return float(v)
    m = re.match(r"([0-9.]+)(us|ms|s)$", v or "")
    if not m:
        return None
    x = float(m.group(1))
    return {"us": x / 1000, "ms": x, "s": x * 1000}[m.group(2)]


def cmd(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True,
                              timeout=10).stdout.strip() or \
            subprocess.run(a, capture_output=True, text=True,
                           timeout=10).stderr.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = [l for l in open("/proc/meminfo")
               if l.startswith("MemTotal")][0].split()[1]
        mem_gib = round(int(mem) / 1048576, 1)
    except (OSError, IndexError):
        mem_gib = None
    try:
        debian = open("/etc/debian_version").read().strip()
    except OSError:
        debian = ""
    return {
        "cpu": model, "cpus": os.cpu_count(), "memory_gib": mem_gib,
        "kernel": platform.release(), "debian": debian,
        "virtualization": cmd("systemd-detect-virt") or "unknown",
        "nginx": cmd("nginx", "-v").replace("nginx version: ", ""),
        "apache": cmd("apache2", "-v").split("\n")[0].replace(
            "Server version: ", ""),
        "openssl": cmd("openssl", "version"),
        "wrk": cmd("wrk", "-v").split("\n")[0],
        "loadavg_at_report": open("/proc/loadavg").read().split()[:3],
    }


def baseline():
    """The results.json named by BASELINE, or None."""
    p = os.environ.get("BASELINE")
    if not p:
        return None
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("BASELINE %s: %s\n" % (p, e))
        return None


def base_label(base):
    """What the baseline's bars are called: BASELINE_LABEL, or its date."""
    return os.environ.get("BASELINE_LABEL") or \
        str(base.get("date", "before"))[:10]


def main():
    es = load("es256")
    ve = load("verify")
    cr = load("create")
    de = load("destroy")
    py = load("python-ref")
    oc = load("ops-cost")
    out = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "es256": es, "verify": ve, "create": cr, "destroy": de,
        "python_ref": py,
        "ops_cost": oc,
    }
    rows = []   # label, rps, p50, p99

    def add(label, r):
        if r is None:
            return
        rows.append((label, float(r.get("rps", 0)),
                     ms(r.get("p50_ms", r.get("p50"))),
                     ms(r.get("p99_ms", r.get("p99")))))

    if ve:
        r = ve.get("runs", {})
        add("ceiling: nginx + trivial authorizer", r.get("a"))
        add("token-verify, operator token, warm", r.get("b"))
        add("token-verify, operator token, cold", r.get("c"))
        add("Apache proxy, no authorization", r.get("d"))
        add("Apache proxy + token-verify (egress)", r.get("e"))
        add("Apache proxy + token-verify via mod_sandgate_authz", r.get("f"))
        pc16 = ve.get("proxy_by_connections", {}).get("16", {})
        add("Apache proxy, no authorization, 16 conns", pc16.get("d"))
        add("Apache proxy + mod_sandgate_authz, 16 conns", pc16.get("f"))
        add("module + decision cache, 16 conns", pc16.get("h"))
        add("module + decision cache, every request new, 16 conns",
            pc16.get("i"))
    if py:
        r = py.get("runs", {})
        add("Python ref (gunicorn), warm", r.get("p1"))
        add("Python ref (gunicorn), cold", r.get("p2"))
        add("nginx + Python ref", r.get("p3"))
        add("token-verify, container token, warm", r.get("t1"))
        add("token-verify, container token, cold", r.get("t2"))
        add("token-verify warm, metrics+audit off", r.get("t3"))
    out["chart_rows"] = [
        {"label": l, "rps": round(a, 1), "p50_ms": b, "p99_ms": c}
        for l, a, b, c in rows]
    # BASELINE=<an earlier results.json>: its req/s next to these, by label
    base, before = baseline(), {}
    if base:
        out["baseline"] = {"date": base.get("date"),
                           "machine": base.get("machine")}
        before = {r.get("label"): r.get("rps")
                  for r in base.get("chart_rows", [])}
    with open(os.path.join(here, "results.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")

    if base:
        lines = ["| run | req/s | req/s %s | p50 ms | p99 ms |" %
                 base_label(base),
                 "|---|---:|---:|---:|---:|"]
    else:
        lines = ["| run | req/s | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for l, a, b, c in rows:
        lines.append("| %s | %.0f |%s %s | %s |" % (
            l, a, (" %.0f |" % before[l] if before.get(l) else " - |")
            if base else "", "%.2f" % b if b is not None else "-",
            "%.2f" % c if c is not None else "-"))
    pc = ve.get("proxy_by_connections") if ve else None
    if pc:
        lines.append("")
        lines.append("| proxy GET, connections | no auth req/s | mod_authnz_fcgi"
                     " | mod_sandgate_authz | the same, SandgateAuthzVars"
                     " Full | the same, SandgateDecisionCache | that, every"
                     " request a miss |")
        lines.append("|---:|---:|---:|---:|---:|---:|---:|")
        for n, row in pc.items():
            cell = lambda k: ("%.0f (%.2fx)" % (row[k]["rps"],
                              row.get(k + "_over_d", 0)) if k in row else "-")
            lines.append("| %s | %.0f | %s | %s | %s | %s | %s |" % (
                n, row.get("d", {}).get("rps", 0), cell("e"), cell("f"),
                cell("g"), cell("h"), cell("i")))
    cn = ve.get("connect") if ve else None
    if cn and "d" in cn:
        lines.append("")
        lines.append("CONNECT tunnels/s (16 clients) and MB/s inside one: "
                     + ", ".join("%s %s / %.0f" % (k, cn[k].get("tunnels_per_s"),
                                 cn[k].get("tunnel_bytes_per_s", 0) / 1e6)
                                 for k in "defgh" if k in cn))
    if es:
        s, o = es.get("sandgate", {}), es.get("openssl_speed_ecdsap256", {})
        lines.append("")
        lines.append("ES256 per CPU-second: sandgate sign %.0f / verify %.0f,"
                     " openssl speed sign %.0f / verify %.0f" % (
                         s.get("es256_sign_per_s", 0),
                         s.get("es256_verify_per_s", 0),
                         o.get("sign_per_s", 0), o.get("verify_per_s", 0)))
    if cr:
        lines.append("Sandbox create p50 / p95: sandgate %s / %s ms, "
                     "docker run %s / %s ms (%s samples each, runtime %s)" % (
                         cr["sandgate"]["p50_ms"], cr["sandgate"]["p95_ms"],
                         cr["docker_cli"]["p50_ms"],
                         cr["docker_cli"]["p95_ms"],
                         cr.get("samples_per_side"), cr.get("runtime")))
        if cr.get("first_request"):
            lines.append("Sandbox create -> first allowed request through "
                         "the proxy p50 / p95: %s / %s ms" % (
                             cr["first_request"]["p50_ms"],
                             cr["first_request"]["p95_ms"]))
    if de and de.get("deny_after_delete_answer"):
        d = de["deny_after_delete_answer"]
        lines.append("Destroy-to-deny (first 407 at the proxy after the "
                     "DELETE answered) p50 / p99: %s / %s ms with "
                     "SANDGATE_SESSION_CACHE_MS=%s (%s sandboxes; goal "
                     "p99 < %s ms: %s)" % (
                         d["p50_ms"], d["p99_ms"], de["session_cache_ms"],
                         de["sandboxes"], de["goal_p99_ms"],
                         "met" if de.get("goal_met") else "not met"))
    if oc:
        lines.append("Decision log line, in process: %d ns alone, %d ns with"
                     " metrics, %d ns with metrics and the audit trail "
                     "(CPU %d / %d / %d ns)" % (
                         oc["log_only_ns"], oc["log_metrics_ns"],
                         oc["log_metrics_audit_ns"], oc["log_only_cpu_ns"],
                         oc["log_metrics_cpu_ns"],
                         oc["log_metrics_audit_cpu_ns"]))
    m = out["machine"]
    lines.append("")
    lines.append("Measured %s on %s (%s CPUs, %s GiB, %s, Debian %s, "
                 "kernel %s); load average after: %s." % (
                     out["date"], m["cpu"], m["cpus"], m["memory_gib"],
                     m["virtualization"], m["debian"], m["kernel"],
                     " ".join(m["loadavg_at_report"])))
    table = "\n".join(lines) + "\n"
    with open(os.path.join(here, "results.md"), "w") as f:
        f.write(table)
    print(table)

    dat = os.path.join(here, "results.dat")
    with open(dat, "w") as f:
        for l, a, b, c in rows:
            f.write("%s\t%.1f\t%s\t%s\t%s\n" % (
                l, a, "%.3f" % b if b else "NaN", "%.3f" % c if c else "NaN",
                "%.1f" % before[l] if before.get(l) else "NaN"))
    png = os.path.join(here, "results.png")
    title = "sandgate, %s, %s CPUs (%s)" % (out["date"][:10], m["cpus"],
                                            m["cpu"])
    if rows:
        r = subprocess.run(
            ["gnuplot", "-e", "data='%s'; out='%s'; title='%s'%s" % (
                dat, png, title.replace("'", ""),
                "; before='%s'" % base_label(base)
                if base else ""),
             os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "chart.gp")], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write("gnuplot: %s\n" % r.stderr)
            return 1
        print("chart: %s" % png)
    print("results: %s" % os.path.join(here, "results.json"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
