"""`python manage.py analyze FILE.csv [--json]`: the live engine run on a recorded file (SPEC §6)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from metrics.core import Body, RecordingError, analyze, read_csv
from metrics.core.summary import summarize

TABLE_COLUMNS = (  # field, title, width, format
    ("t_start", "t (s)", 9, ".3f"), ("kickback_deg", "kick°", 6, ".1f"),
    ("shank_back_deg", "shank°", 6, ".1f"), ("knee_elevation_deg", "knee°", 6, ".1f"),
    ("heel_rise_cm", "heel cm", 7, ".1f"), ("cadence_spm", "spm", 6, ".1f"),
    ("contact_ms", "ms", 4, "d"), ("speed_mps", "m/s", 5, ".2f"), ("pace_band", "band", 7, ""),
)


class Command(BaseCommand):
    help = "Analyse a recorded CSV (SPEC §4) and print per-stride metrics."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--height-cm", type=float, default=175.0)
        parser.add_argument("--thigh-cm", type=float)
        parser.add_argument("--shank-cm", type=float)
        parser.add_argument("--speed-factor", type=float, default=1.3,
                            help="per-runner speed calibration (see docs/metrics.md)")

    def handle(self, *args, **options) -> None:
        for name in ("height_cm", "thigh_cm", "shank_cm"):
            value = options[name]
            if value is not None and not 20 <= value <= 250:
                raise CommandError(f"--{name.replace('_', '-')} must be between 20 and 250 cm")
        body = Body.from_height(
            options["height_cm"] / 100,
            options["thigh_cm"] / 100 if options["thigh_cm"] else None,
            options["shank_cm"] / 100 if options["shank_cm"] else None,
            speed_factor=options["speed_factor"],
        )
        try:
            recording = read_csv(options["file"])
            strides, skipped = analyze(recording, body)
        except FileNotFoundError:
            raise CommandError(f"{options['file']}: no such file") from None
        except (RecordingError, ValueError) as error:
            raise CommandError(f"{options['file']}: {error}") from None
        summary = summarize(strides, skipped)
        if options["json"]:
            self.stdout.write(json.dumps({"strides": [s.to_dict() for s in strides], "summary": summary}))
            return
        self._print_tables(strides, summary)

    def _print_tables(self, strides, summary: dict) -> None:
        for leg in ("left", "right"):
            mine = [s for s in strides if s.leg == leg]
            self.stdout.write(f"\n{leg.upper()} leg: {len(mine)} strides")
            self.stdout.write("  ".join(f"{title:>{width}}" for _, title, width, _ in TABLE_COLUMNS)
                              + "  ± kick/knee°  zones (kick, knee)")
            for s in mine:
                cells = (f"{getattr(s, name):>{width}{fmt}}" for name, _, width, fmt in TABLE_COLUMNS)
                q = s.quality
                self.stdout.write("  ".join(cells) + f"  {q['kickback_uncertainty_deg']:>4.1f}/"
                                  f"{q['knee_elevation_uncertainty_deg']:<4.1f}{'LOW' if q['low'] else '   '}"
                                  f"  {s.zone['kickback']}, {s.zone['knee_elevation']}")
        self.stdout.write("\nSummary")
        for leg, entry in summary["legs"].items():
            if entry["strides"]:
                self.stdout.write(
                    f"  {leg:>5}: {entry['strides']} strides, kickback {entry['median_kickback_deg']}°, "
                    f"knee elevation {entry['median_knee_elevation_deg']}°, "
                    f"cadence {entry['median_cadence_spm']} spm, "
                    f"in zone {entry['kickback_zone_pct']['in']}% / {entry['knee_elevation_zone_pct']['in']}%"
                )
        self.stdout.write(f"  symmetry kickback {summary['symmetry_kickback_pct']}%, "
                          f"knee elevation {summary['symmetry_knee_elevation_pct']}%")
        if summary["low_quality"]:
            self.stdout.write(f"  {summary['low_quality']} low-quality strides left out of the figures above")
        if summary["skipped"]:
            self.stdout.write(f"  skipped: {summary['skipped']}")
