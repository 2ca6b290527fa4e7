"""Prefect artifacts of a flight run: a markdown summary, a table of new candidates, links."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from pipeline.config import HehuConfig
from pipeline.flight import BatchResult, FlightPlan, RunSummary


def summary_markdown(summary: RunSummary, plan: FlightPlan, result: BatchResult) -> str:
    """The run in markdown: frames, set-aside files, detections per 四乱 type, candidates."""
    from pipeline.ledger.vocab import TYPE_LABELS, type_of

    per_type = Counter(TYPE_LABELS.get(type_of(d.subtype) or "", "context (no 四乱 type)")
                       for d in result.detections)  # fmt: skip
    lines = [f"# Flight {plan.name}", "",
             f"- frames processed: **{summary.frames}** of {len(plan.frames)}",
             f"- frames not placed on the ground: **{sum(summary.unplaced.values())}**"
             + "".join(f"; {reason} {n}" for reason, n in summary.unplaced.items()),
             f"- files set aside: **{len(summary.quarantined)}**",
             f"- detections: **{summary.detections}**",
             f"- candidates: **{len(summary.created)} new**, {len(summary.recurred)} recurring, "
             f"{len(summary.rebounded)} rebound", ""]  # fmt: skip
    if per_type:
        lines += ["| 四乱 type | detections |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(per_type.items())] + [""]
    if summary.quarantined:
        lines += ["## Set aside", "", "| file | reason |", "|---|---|"]
        lines += [f"| {Path(q.path).name} | {q.reason} |" for q in summary.quarantined] + [""]
    for title, codes in (("New", summary.created), ("Recurring", summary.recurred),
                         ("Rebound", summary.rebounded)):  # fmt: skip
        if codes:
            lines += [f"**{title}:** " + ", ".join(f"`{c}`" for c in codes), ""]
    if summary.report:
        lines.append(f"Report: `{summary.report}`")
    return "\n".join(lines)


def new_candidate_rows(summary: RunSummary, config: HehuConfig) -> list[dict]:
    from pipeline.ledger.db import make_engine, make_session_factory
    from pipeline.ledger.queries import list_issues

    if not summary.created:
        return []
    engine = make_engine(config.db_url())
    try:
        with make_session_factory(engine)() as session:
            issues = list_issues(session=session, codes=summary.created)
    finally:
        engine.dispose()
    return [{"code": i.code, "type": i.type, "subtype": i.subtype or "", "lat": round(i.lat, 6),
             "lon": round(i.lon, 6), "area_m2": i.area_m2, "in_zone": i.in_zone}
            for i in issues]  # fmt: skip


def publish_artifacts(summary: RunSummary, plan: FlightPlan, result: BatchResult,
                      config: HehuConfig) -> None:  # fmt: skip
    key = "flight-" + plan.key.split(":")[-1][:16]
    create_markdown_artifact(markdown=summary_markdown(summary, plan, result), key=key,
                             description=f"hehu run of {plan.name}")  # fmt: skip
    create_table_artifact(table=new_candidate_rows(summary, config) or [{"code": "none"}],
                          key=f"{key}-new", description="new candidate issues")  # fmt: skip
    if summary.report:
        create_link_artifact(link=Path(summary.report).resolve().as_uri(),
                             link_text="flight report (HTML)", key=f"{key}-report")  # fmt: skip
    evidence_dir = config.state_dir() / "evidence"
    if summary.evidence and evidence_dir.is_dir():
        create_link_artifact(link=evidence_dir.resolve().as_uri(), link_text="evidence crops",
                             key=f"{key}-evidence")  # fmt: skip
