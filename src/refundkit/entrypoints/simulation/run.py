"""One simulation: a fresh database per policy, the history run through it, the report."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from refundkit.adapters.currencies import Iso4217Catalog
from refundkit.adapters.evidence_storage import LocalBlobStore
from refundkit.adapters.metadata_strip import strip_stream
from refundkit.entrypoints.bootstrap import build
from refundkit.entrypoints.scratch_db import fresh_database, shown
from refundkit.entrypoints.simulation.clock import SimulatedClock
from refundkit.entrypoints.simulation.driver import Driver, Progress
from refundkit.entrypoints.simulation.figures import read_figures
from refundkit.entrypoints.simulation.report import Run, write_report
from refundkit.entrypoints.simulation.scenario import Honesty, Scenario, generate
from refundkit.entrypoints.simulation.standing_figures import read_standing_figures
from refundkit.service import files
from refundkit.service.file_ports import Uploads

START = datetime(2026, 3, 2, tzinfo=UTC)
"""A Monday; every run starts here so a seed always gives the same calendar."""
PG_SCHEMAS = {"base": "refundkit_sim", "what-if": "refundkit_sim_whatif"}


@dataclass(frozen=True, slots=True)
class Options:
    seed: int
    orders: int
    out: Path
    database_url: str | None = None
    base_policy: Path | None = None
    what_if_policy: Path | None = None
    placement_days: int = 30


def simulate(
    options: Options, progress: Callable[[str], Progress] | None = None
) -> tuple[Path, list[Run]]:
    """Run the history under the base policy (and the what-if policy, when given) and write
    the report; answers its path and the runs."""
    scenario = generate(options.seed, options.orders, placement_days=options.placement_days)
    options.out.mkdir(parents=True, exist_ok=True)
    plans = [("base", options.base_policy)]
    if options.what_if_policy is not None:
        plans.append(("what-if", options.what_if_policy))
    runs: list[Run] = []
    honesty: dict[str, Honesty] = {}
    for name, policy in plans:
        suffix = "" if name == "base" else "-whatif"
        default = options.out / f"{name.replace('-', '')}.sqlite3"
        url = fresh_database(options.database_url, default, PG_SCHEMAS[name], suffix=suffix)
        run, honesty = _run_one(options, scenario, name, url, policy,
                                progress(name) if progress else None)  # fmt: skip
        runs.append(run)
    path = write_report(options.out, options.seed, options.orders, runs, honesty,
                        Iso4217Catalog().exponent)  # fmt: skip
    return path, runs


def _run_one(
    options: Options, scenario: Scenario, name: str, url: str, policy: Path | None,
    progress: Progress | None,
) -> tuple[Run, dict[str, Honesty]]:  # fmt: skip
    # Every run replays the same history: the plans carry ids only while one run lasts.
    for plan in scenario.orders:
        plan.ids.clear()
    runtime = build(url=url, sandbox=True, policy_path=policy, sandbox_start=START)
    try:
        assert runtime.sandbox_clock is not None
        clock = SimulatedClock(runtime.sandbox_clock)
        deps = replace(runtime.deps, clock=clock)
        deps.attach_evidence = files.attacher(deps)
        evidence = options.out / f"evidence-{name}"
        shutil.rmtree(evidence, ignore_errors=True)
        uploads = Uploads(LocalBlobStore(evidence), strip_stream)
        driver = Driver(deps, clock, scenario, uploads)
        stats = driver.run(progress)
        figures = read_figures(runtime.engine, deps.policies.active.version, clock.now())
        standing = read_standing_figures(deps, runtime.engine, driver.sellers, driver.buyers)
        honesty = {
            user.id: person.honesty or Honesty.HONEST
            for user, person in zip(driver.sellers, scenario.sellers, strict=True)
        }
        return Run(name, figures, stats, shown(url), standing), honesty
    finally:
        runtime.close()
