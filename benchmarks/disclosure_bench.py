"""Time disclosure control on the default demonstration data and on sparse data; print the figures.

Run on demand (not a test: these machines are shared and noisy):

    .venv/bin/python benchmarks/disclosure_bench.py

For each data set: the seconds of the disclosure step of the store (finding the cells and
relations, secondary suppression with its audit, publishing both tables), timed on its own after
the indicator rows and breakdowns it works on are computed; then the audit of the published
store the build runs next, read back from disk. Target: the two together add at most 15 s to a
cold build of the default book. Also prints the counts withheld by the rule and to protect
them, and the narrowest range the audit found.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jsna import store  # noqa: E402
from jsna.book.build import load_disclosure, load_parameters  # noqa: E402
from jsna.book.publish import audit_store  # noqa: E402
from jsna.compute import disclosure  # noqa: E402
from jsna.compute.indicators import indicator_rows  # noqa: E402
from jsna.compute.inequalities import deprivation_breakdowns  # noqa: E402
from jsna.compute.methods import METHODS  # noqa: E402
from jsna.compute.pipeline import compute_store  # noqa: E402
from jsna.config import Settings  # noqa: E402
from jsna.inputs.catalogue import load_catalogue  # noqa: E402
from jsna.inputs.kpis import load_kpis, load_rules  # noqa: E402
from jsna.inputs.places import named_geography  # noqa: E402
from jsna.inputs.tables import load_inputs  # noqa: E402

TARGET = 15.0


def measure(label: str, data: Path, out: Path) -> float:
    settings = Settings(data=data, out=out)
    parameters = load_parameters(settings)
    inputs = load_inputs(settings.data, settings.reference, parameters.area_types)
    inputs = inputs.with_geography(named_geography(inputs.geography, parameters.places))
    catalogue = load_catalogue(settings.catalogue, methods=METHODS, area_types=parameters.area_types, chapters=parameters.chapters)
    policy = load_disclosure(settings, parameters)
    started = time.perf_counter()
    rows = indicator_rows(inputs, catalogue, {}, summaries=False)
    breakdowns = deprivation_breakdowns(inputs, catalogue)
    computed = time.perf_counter() - started
    started = time.perf_counter()
    protected = disclosure.disclosure_tables(rows, breakdowns, inputs, catalogue, policy)
    protecting = time.perf_counter() - started
    tables = compute_store(inputs, catalogue, load_kpis(settings.kpis), load_rules(settings.spc_rules), policy)
    store.save(settings.store, tables, "benchmark")
    started = time.perf_counter()
    found = audit_store(settings, policy, parameters.area_types)
    audit = time.perf_counter() - started
    summary = protected["disclosure_summary"]
    print(f"{label}: indicator rows and breakdowns {computed:.1f} s; disclosure step {protecting:.1f} s "
          f"(of which suppression with its audit {protected['figures']['seconds']:.1f} s in {protected['figures']['rounds']} rounds); "
          f"audit of the published store {audit:.1f} s; added in all {protecting + audit:.1f} s")
    print(f"  {int(summary['withheld_by_rule'].sum())} counts withheld by the rule, {int(summary['withheld_to_protect'].sum())} to protect "
          f"them, of {int(summary['cells'].sum()):,}; narrowest range {found.narrowest:g} values (policy {policy.protection})")
    return protecting + audit


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="jsna-disclosure-") as folder:
        folder = Path(folder)
        default = measure("default book", ROOT / "data" / "demo", folder / "default")
        sparse = folder / "sparse"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_data.py"), "--sparse", "--out", str(sparse)], check=True,
                       capture_output=True)  # fmt: skip
        measure("sparse data", sparse, folder / "sparse-out")
    print(f"target: at most {TARGET:g} s added to a cold build of the default book: {'met' if default <= TARGET else 'NOT MET'} ({default:.1f} s)")


if __name__ == "__main__":
    main()
