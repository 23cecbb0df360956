"""First look at a new labelled file: the figures the code as it stands gets, before any tuning.

    python bench/triage_firstlook.py FILE [FILE...] [--show] [--root DIR]

Prints, for each file of rows shaped like ``tests/data/triage_messages.jsonl`` (a row's
"plan" gives its patient, hub.triage.labelled): sensitivity, specificity, how many crises got
the 988 answer, per language and per writer's ``kind``. ``--show`` lists the misses and false
alarms: only for a file that becomes development data, after its first look was written down
(a held-out file is never shown). ``--root`` runs another checkout's code and lexicon (e.g.
the code before a change) on the same file, so a first look can be compared with a baseline.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class _Crashed:
    """What a row whose classification raised counts as: not urgent, no guidance."""

    urgent = False
    guidance = None
    fired = ("crashed",)


_CRASHED = _Crashed()


def figures(triager, classify_row, rows: list[dict], show: bool) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Sensitivity, specificity and 988 for ``rows`` (misses and false alarms when ``show``)."""
    verdicts, crashed = [], []
    for i, row in enumerate(rows):
        try:
            verdicts.append(classify_row(triager, row))
        except Exception:  # noqa: BLE001 - a crash is counted (as not urgent), not hidden
            crashed.append(i)
            verdicts.append(_CRASHED)
    urgent = [i for i, r in enumerate(rows) if r["label"] != "routine"]
    routine = [i for i, r in enumerate(rows) if r["label"] == "routine"]
    missed = [i for i in urgent if not verdicts[i].urgent]
    alarms = [i for i in routine if verdicts[i].urgent]
    crises = [i for i, r in enumerate(rows) if r["label"] == "crisis"]
    told = [i for i in crises if verdicts[i].guidance == "988"]
    out = {"messages": len(rows), "urgent": len(urgent), "routine": len(routine),
           "sensitivity": 1 - len(missed) / len(urgent) if urgent else None,
           "specificity": 1 - len(alarms) / len(routine) if routine else None,
           "crises": len(crises), "told_988": len(told), "by_language": {},
           "crashed": len(crashed),
           "missed_by_kind": dict(Counter(rows[i].get("kind", "?") for i in missed))}
    for lang in sorted({r.get("lang", "?") for r in rows}):
        u = [i for i in urgent if rows[i].get("lang") == lang]
        n = [i for i in routine if rows[i].get("lang") == lang]
        out["by_language"][lang] = (
            f"{sum(i not in missed for i in u)}/{len(u)} urgent found, "
            f"{sum(i not in alarms for i in n)}/{len(n)} routine kept routine")
    if show:
        out["missed"] = [f"{rows[i]['id']} ({rows[i]['label']}/{rows[i].get('kind')}): "
                         f"{rows[i]['text']}" for i in missed]
        out["crisis_not_988"] = [f"{rows[i]['id']}: {rows[i]['text']}"
                                 for i in crises if i not in told and i not in missed]
        out["false_alarms"] = [f"{rows[i]['id']} {list(verdicts[i].fired)}: {rows[i]['text']}"
                               for i in alarms]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    for name in args.files:
        if "heldout" in name.name or "sealed" in str(name.resolve()):
            parser.error(f"{name}: a held-out set is measured by triage_bench.py alone")
    sys.path.insert(0, str(args.root.resolve()))
    triage = importlib.import_module("hub.triage")
    labelled = importlib.import_module("hub.triage.labelled")
    triager = triage.load_triager(args.root / "config" / "triage.toml")
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip()]
        r = figures(triager, labelled.classify_row, rows, args.show)
        print(f"{path.name}: {r['messages']} messages; sensitivity {r['sensitivity']:.1%} "
              f"({r['urgent']} urgent), specificity {r['specificity']:.1%} ({r['routine']} "
              f"routine), 988 told {r['told_988']}/{r['crises']}; {r['crashed']} crashed")
        for lang, line in r["by_language"].items():
            print(f"  {lang}: {line}")
        print(f"  missed by kind: {r['missed_by_kind']}")
        for key in ("missed", "crisis_not_988", "false_alarms"):
            for line in r.get(key, []):
                print(f"  {key.upper()} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
