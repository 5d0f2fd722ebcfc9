"""How `port443 firewall` shows surveys, plans and probes (rich), and their JSON form."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from port443.firewall.model import Direction, Plan, Rule, Verdict
from port443.firewall.survey import Survey
from port443.net.probe import ProbeReport, ProbeResult

COLOURS = {Verdict.ALLOWED: "green", Verdict.BLOCKED: "red", Verdict.UNKNOWN: "yellow"}
PROBE_COLOURS = {ProbeResult.OPEN: "green", ProbeResult.CLOSED: "red", ProbeResult.FILTERED: "red",
                 ProbeResult.NOT_TLS: "yellow", ProbeResult.UNREACHABLE: "red"}
ANY_ADDRESS = ("*", "0.0.0.0", "::")
LABEL = {Direction.IN: "inbound", Direction.OUT: "outbound"}


def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _verdict(verdict: Verdict) -> str:
    return f"[{COLOURS[verdict]}]{verdict.value}[/]"


def _rule(rule: Rule) -> str:
    ref = f"  [dim]({'ours, ' if rule.ours else ''}{rule.ref})[/]" if rule.ref else ""
    return f"`{escape(rule.text)}`{ref}"


def show_survey(out: Console, survey: Survey) -> None:
    port = survey.port
    out.print(f"[bold]TCP port {port} on this machine[/]")
    if survey.listeners:
        for listener in survey.listeners:
            who = f"{listener.process} (pid {listener.pid})" if listener.process else "a process we may not name"
            where = f"every address ({listener.address})" if listener.address in ANY_ADDRESS else listener.address
            out.print(f"  listening: {escape(who)} on {where}, port {port}")
    elif survey.listeners_error:
        out.print(f"  listening: [yellow]could not tell[/] ({escape(survey.listeners_error)})")
    else:
        out.print(f"  listening: nothing listens on port {port} here")
    if not survey.found:
        out.print("  firewalls: none of ours to read is installed here")
    for item in survey.found:
        name = item.backend.title
        if item.error:
            out.print(f"  [bold]{name}[/]: [yellow]could not read it[/]: {escape(item.error)}")
            continue
        report = item.report
        if report is None or not report.active:
            out.print(f"  [bold]{name}[/]: inactive")
            continue
        managed = f" [dim](its rules are {item.managed_by}'s; change them through {item.managed_by})[/]" \
            if item.managed_by else ""
        out.print(f"  [bold]{name}[/]: active{managed}")
        for direction in Direction:
            decisions = report.decisions.get(direction, ())
            out.print(f"    {LABEL[direction]} TCP {port}: {_verdict(report.verdict(direction))}")
            for decision in decisions:
                how = f"rule {_rule(decision.rule)}" if decision.rule else "the default policy"
                out.print(f"      {escape(decision.where)}: {_verdict(decision.verdict)} by {how}")
                for rule in decision.partial:
                    out.print(f"      [yellow]only for some connections[/]: {_rule(rule)}")
        for rule in report.rules:
            out.print(f"    rule naming port {port}: {_rule(rule)}")
        for note in report.notes:
            out.print(f"    [dim]{escape(note)}[/]")
    for direction in Direction:
        out.print(f"[bold]{LABEL[direction].capitalize()} TCP {port} overall: {_verdict(survey.verdict(direction))}[/]")


def survey_json(survey: Survey) -> dict:
    def rule(r: Rule) -> dict:
        return {"text": r.text, "action": r.action.value, "ours": r.ours, "ref": r.ref}

    backends = []
    for item in survey.found:
        report = item.report
        backends.append({
            "name": item.backend.name, "error": item.error, "managed_by": item.managed_by,
            "active": bool(report and report.active),
            "verdicts": {d.value: report.verdict(d).value for d in Direction} if report and report.active else {},
            "decisions": [{"direction": d.value, "where": x.where, "verdict": x.verdict.value,
                           "rule": rule(x.rule) if x.rule else None, "partial": [rule(p) for p in x.partial]}
                          for d, xs in (report.decisions.items() if report else ()) for x in xs],
            "rules": [rule(r) for r in report.rules] if report else [],
        })
    return {"port": survey.port, "platform": survey.platform,
            "listeners": [vars(x) for x in survey.listeners], "backends": backends,
            "verdicts": {d.value: survey.verdict(d).value for d in Direction}}


def show_plans(out: Console, plans: list[Plan], apply: bool) -> None:
    if not apply and any(p.commands for p in plans):
        out.print("[bold]Dry run[/]: these are the exact commands; add --apply to run them.")
    for plan in plans:
        out.print(f"[bold]{plan.backend}[/]:")
        for command in plan.commands:
            out.print(f"  {escape(command.display())}")
        for note in plan.notes:
            out.print(f"  [dim]note: {escape(note)}[/]")


def show_probe(out: Console, report: ProbeReport) -> None:
    colour = PROBE_COLOURS[report.result]
    out.print(f"[bold]{escape(report.host)}[/] ({report.address}) port {report.port}/tcp: "
              f"[bold {colour}]{report.result.value}[/]")
    out.print(f"  {escape(report.detail)} ({report.seconds * 1000:.0f} ms)")
    out.print(f"  [dim]what it usually means: {escape(report.meaning)}[/]")


def probe_json(report: ProbeReport) -> dict:
    return {"host": report.host, "address": report.address, "port": report.port, "result": report.result.value,
            "detail": report.detail, "seconds": round(report.seconds, 4), "meaning": report.meaning,
            "answer": report.answer.hex()}
