"""`port443 check --html`: one self-contained page a site owner can send to their hosting provider."""

from __future__ import annotations

import html

STATUS_CLASS = {"vulnerable": "bad", "not vulnerable": "ok", "not applicable": "na", "unknown": "warn"}
CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
.bad{color:#b00;font-weight:bold}.ok{color:#070}.warn{color:#a60}.na{color:#888}.grade{font-size:3rem;font-weight:bold}
code{font-size:.9em}"""


def e(value) -> str:
    return html.escape(str(value))


def yn(value) -> str:
    return {True: "yes", False: "no", None: "n/a"}.get(value, e(value))


def _to_fix(r: dict) -> list[str]:
    """The problems a hosting provider should act on, most serious first."""
    items = [f"{e(c['reason'])} (caps the grade at {e(c['grade'])})" for c in (r.get("grade") or {}).get("caps", [])]
    items += [f"<b>{e(k)}</b>: {e(v['reason'])}" for k, v in r.get("vulnerabilities", {}).items()
              if v["status"] == "vulnerable" and not any(k.replace("_", " ") in i.lower() for i in items)]
    for c in r.get("certificates", []):
        items += [f"certificate {e(c['subject'])}: {e(d['message'])} Fix: {e(d['fix'])}" for d in c["diagnoses"]
                  if d["severity"] == "error"]
    hsts = (r.get("http") or {}).get("hsts")
    if hsts is not None and not hsts["present"] and r["http"].get("https_status") is not None:
        items.append("no Strict-Transport-Security header: add one with max-age of at least 180 days")
    return items


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _one(r: dict) -> str:
    t = r["target"]
    out = [f"<h2>{e(t['host'])} ({e(t.get('address'))}) port {e(t['port'])}</h2>",
           f"<p>Checked {e(r.get('checked_at'))} by port443 check. Reachability: "
           f"<b>{e(r.get('reachability', {}).get('status'))}</b> - {e(r.get('reachability', {}).get('detail'))}</p>"]
    g = r.get("grade")
    if g:
        out.append(f"<p class=grade>{e(g['grade'])}</p><p>Score {e(g['score'])}.</p>")
        if g["caps"]:
            out.append("<ul>" + "".join(f"<li>capped at <b>{e(c['grade'])}</b>: {e(c['reason'])}</li>"
                                        for c in g["caps"]) + "</ul>")
    fixes = _to_fix(r)
    if fixes:
        out.append("<h3>What to fix</h3><ol>" + "".join(f"<li>{f}</li>" for f in fixes) + "</ol>")
    if "protocols" in r:
        out.append("<h3>Protocols</h3>" + _table(["protocol", "offered", "server's answer"], [
            [e(k), yn(v["supported"]), e(v["detail"])] for k, v in r["protocols"].items()]))
    for proto, s in r.get("suites", {}).items():
        out.append(f"<h3>{e(proto)} cipher suites (preference: {e(s['preference'])})</h3>" + _table(
            ["suite", "code", "key exchange", "bits", "forward secrecy", "AEAD"],
            [[f"<code>{e(a['name'])}</code>", e(a["code"]), e(a["kx"]), e(a["bits"]), yn(a["forward_secrecy"]),
              yn(a["aead"])] for a in s["accepted"]]))
    for c in r.get("certificates", []):
        out.append(f"<h3>Certificate {e(c['subject'])}</h3><p>{e(c['key'])}, issued by {e(c['issuer'])}, valid until "
                   f"{e(c['not_after'])}: {'trusted' if c['trusted'] else 'NOT trusted: ' + e(c['reason'])}</p>")
        if c["diagnoses"]:
            out.append(_table(["severity", "finding", "fix"], [
                [f"<span class={'bad' if d['severity'] == 'error' else 'warn'}>{e(d['severity'])}</span>",
                 e(d["message"]), e(d["fix"])] for d in c["diagnoses"]]))
    h = r.get("http")
    if h:
        hsts = h["hsts"]
        out.append("<h3>HTTP</h3><p>HSTS: " + (e(hsts["raw"]) if hsts["present"] else "<span class=bad>absent</span>")
                   + f"<br>Port {e(h['port80']['port'])}: {e(h['port80']['redirect'])} {e(h['port80']['detail'])}</p>")
    if "vulnerabilities" in r:
        out.append("<h3>Vulnerabilities</h3>" + _table(["name", "status", "how", "why"], [
            [e(k), f"<span class={STATUS_CLASS.get(v['status'], '')}>{e(v['status'])}</span>", e(v["how"]),
             e(v["reason"])] for k, v in r["vulnerabilities"].items()]))
    m = r.get("mozilla")
    if m:
        out.append(f"<h3>Mozilla Server Side TLS {e(m['version'])}</h3><ul>" + "".join(
            f"<li>{e(p['profile'])}: {'meets' if p['compliant'] else 'does not meet'}"
            + ("<ul>" + "".join(f"<li>{e(d)}</li>" for d in p["deviations"]) + "</ul>" if p["deviations"] else "")
            + "</li>" for p in m["profiles"]) + "</ul>")
    return "\n".join(out)


def html_report(reports: list[dict]) -> str:
    title = e(reports[0]["target"]["host"]) if reports else "port443 check"
    body = "\n<hr>\n".join(_one(r) for r in reports)
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>port443 check: {title}</title>"
            f"<style>{CSS}</style><h1>TLS audit of {title}</h1>\n{body}\n</html>\n")
