"""Rendering `port443 check` reports: rich text for a person, a progress bar for mass mode."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from port443.cli.render import render_diagnoses

STATUS_STYLE = {"vulnerable": "bold red", "not vulnerable": "green", "not applicable": "dim", "unknown": "yellow"}
GRADE_STYLE = {"A+": "bold green", "A": "bold green", "A-": "green", "B": "yellow", "C": "dark_orange",
               "D": "red", "E": "red", "F": "bold red", "T": "bold red", "M": "bold red"}


def _yes(value) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]n/a[/]"}.get(value, escape(str(value)))


def render_report(con: Console, r: dict) -> None:
    t = r["target"]
    con.rule(f"[bold]{escape(t['host'])}[/] {escape(str(t.get('address')))} port {t['port']}")
    reach = r.get("reachability", {})
    con.print(f"reachability: [bold]{reach.get('status')}[/] - {escape(reach.get('detail', ''))}")
    if reach.get("status") != "open":
        return
    if "handshake" in r:
        h = r["handshake"]
        con.print(f"handshake: {escape(str(h))}")
    if "grade" in r:
        g = r["grade"]
        style = GRADE_STYLE.get(g["grade"], "bold")
        extra = f" (ignoring trust: {g['grade_ignoring_trust']})" if g["grade_ignoring_trust"] != g["grade"] else ""
        con.print(f"grade: [{style}]{g['grade']}[/]{extra}  score {g['score']} "
                  f"(protocol {g['scores']['protocol']}, key exchange {g['scores']['key_exchange']}, "
                  f"cipher {g['scores']['cipher']})")
        for cap in g["caps"]:
            con.print(f"  capped at [bold]{cap['grade']}[/]: {escape(cap['reason'])}")
    _protocols(con, r)
    _suites(con, r)
    _props(con, r)
    _certificates(con, r)
    _http(con, r)
    _vulns(con, r)
    _mozilla(con, r)
    for note in r.get("not_tested", []):
        con.print(f"[yellow]not tested:[/] {escape(note)}")
    con.print(f"[dim]{r.get('connections')} connections, {r.get('duration_s')} s[/]")


def _protocols(con: Console, r: dict) -> None:
    if "protocols" not in r:
        return
    table = Table("protocol", "offered", "server's answer", title="Protocols", title_justify="left")
    for name, p in r["protocols"].items():
        bad = name in ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
        offered = ("[red]yes[/]" if bad else "[green]yes[/]") if p["supported"] else "no"
        table.add_row(name, offered, escape(p["detail"]))
    con.print(table)


def _suites(con: Console, r: dict) -> None:
    for proto, s in r.get("suites", {}).items():
        table = Table(title=f"{proto} suites ({len(s['accepted'])}, preference: {s['preference']})",
                      title_justify="left")
        table.add_column("suite (IANA)", no_wrap=True)
        for header in ("code", "key exchange", "bits", "FS", "AEAD"):
            table.add_column(header)
        for a in s["accepted"]:
            kx = a["key_exchange"]
            kx_text = " ".join(str(x) for x in (a["kx"], kx and kx["group"], kx and f"{kx['bits']} bits") if x)
            weak = a["export"] or a["cipher"] in ("RC4", "None", "DES", "3DES", "RC2", "IDEA")
            table.add_row(f"[red]{a['name']}[/]" if weak else a["name"], a["code"], kx_text.strip(), str(a["bits"]),
                          _yes(a["forward_secrecy"]), _yes(a["aead"]))
        con.print(table)
        for anomaly in s["anomalies"]:
            con.print(f"  [yellow]{escape(anomaly)}[/]")


def _props(con: Console, r: dict) -> None:
    g = r.get("groups", {})
    s = r.get("signature_algorithms", {})
    f = r.get("features", {})
    rows = [("groups TLS 1.3", ", ".join(g.get("TLSv1.3", [])) or "-"),
            ("groups TLS 1.2 (ECDHE)", ", ".join(g.get("TLSv1.2", [])) or "-"),
            ("groups TLS 1.2 (DHE)", ", ".join(g.get("TLSv1.2_ffdhe", [])) or "-"),
            ("signature schemes TLS 1.3", ", ".join(s.get("TLSv1.3", [])) or "-"),
            ("signature schemes TLS 1.2", ", ".join(s.get("TLSv1.2", [])) or "-")]
    if f:
        rows.append(("ALPN", ", ".join(f["alpn"]) if f.get("alpn") else "none" if f.get("alpn") == [] else "n/a"))
        for name, value in f.get("extensions", {}).items():
            rows.append((name, _yes(value)))
        rows += [("compression", _yes(f.get("compression"))), ("OCSP stapling", _yes(f.get("ocsp_stapling")))]
        for name, value in f.get("resumption", {}).items():
            rows.append((f"resumption ({name.replace('_', ' ')})", _yes(value)))
    table = Table("property", "value", title="Handshake", title_justify="left")
    for k, v in rows:
        table.add_row(k, v if v.startswith("[") else escape(v))
    con.print(table)
    for note in g.get("notes", []) + f.get("notes", []):
        con.print(f"  [dim]{escape(note)}[/]")


def _certificates(con: Console, r: dict) -> None:
    for c in r.get("certificates", []):
        trust = "[green]trusted[/]" if c["trusted"] else f"[red]not trusted[/]: {escape(c['reason'])}"
        con.print(f"[bold]certificate[/] {escape(c['subject'])} ({c['key']}, {c['chain_length']} in chain, until "
                  f"{c['not_after'][:10]}) {trust}  [dim]seen in {', '.join(c['seen_in'])}[/]")
        render_diagnoses(con, c["diagnoses"], indent=2)


def _http(con: Console, r: dict) -> None:
    h = r.get("http")
    if not h:
        return
    hsts = h["hsts"]
    text = (f"max-age={hsts['max_age']}, includeSubDomains {_yes(hsts['include_subdomains'])}, preload "
            f"{_yes(hsts['preload'])}") if hsts["present"] else "[red]absent[/]"
    con.print(f"HSTS: {text}")
    for p in hsts["problems"]:
        con.print(f"  [yellow]{escape(p)}[/]")
    p80 = h["port80"]
    style = "green" if p80["redirect"] == "https" else "yellow"
    con.print(f"port {p80['port']}: [{style}]{p80['redirect']}[/] {escape(p80['detail'])}")


def _vulns(con: Console, r: dict) -> None:
    if "vulnerabilities" not in r:
        return
    table = Table("vulnerability", "status", "how", "why", title="Vulnerabilities", title_justify="left")
    for name, v in r["vulnerabilities"].items():
        table.add_row(name, f"[{STATUS_STYLE.get(v['status'], '')}]{v['status']}[/]", v["how"], escape(v["reason"]))
    con.print(table)


def _mozilla(con: Console, r: dict) -> None:
    m = r.get("mozilla")
    if not m:
        return
    for p in m["profiles"]:
        mark = "[green]meets[/]" if p["compliant"] else "[yellow]does not meet[/]"
        con.print(f"Mozilla {m['version']} {p['profile']}: {mark}")
        for d in p["deviations"]:
            con.print(f"  - {escape(d)}")


@contextlib.contextmanager
def mass_progress(total: int):
    """A progress bar on stderr; yields advance(report)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from port443.cli.render import console

    progress = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.fields[last]}"), console=console(stderr=True), transient=False)
    with progress:
        task = progress.add_task("check", total=total, last="")

        def advance(report: dict) -> None:
            t = report.get("target", {})
            progress.update(task, advance=1, last=f"{t.get('host')}:{t.get('port')}")

        yield advance
