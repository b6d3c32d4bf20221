"""scripts/audit never lets a closed network pass for a clean dependency audit: the summary line
says UNAUDITED (and scripts/test repeats it last), while the run goes on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "scripts" / "audit_summary.py"

SKIPPED = {"skip_reason": "Dependency not found on PyPI and could not be audited: x (1.0)"}


def _summarise(
    tmp_path: Path, report: object | None, *, status: int = 0, stderr: str = ""
) -> tuple[int, str, str]:
    report_file = tmp_path / "report.json"
    report_file.write_text("" if report is None else json.dumps(report))
    stderr_file = tmp_path / "report.err"
    stderr_file.write_text(stderr)
    summary_file = tmp_path / "summary.txt"
    result = subprocess.run(
        [
            sys.executable,
            str(SUMMARY),
            str(report_file),
            str(status),
            str(stderr_file),
            str(summary_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    summary = summary_file.read_text() if summary_file.exists() else ""
    return result.returncode, result.stdout + result.stderr, summary


def test_every_package_skipped_is_unaudited_loudly_and_the_run_goes_on(tmp_path: Path) -> None:
    deps = [{"name": name, "version": "1.0", **SKIPPED} for name in ("django", "celery")]
    code, output, summary = _summarise(tmp_path, {"dependencies": deps})
    assert code == 0
    assert output.strip().splitlines()[-1].startswith("pip-audit: UNAUDITED")
    assert summary.startswith("pip-audit: UNAUDITED")
    assert "2 packages skipped" in summary and "docs/security.md" in summary


def test_an_unreachable_service_without_a_report_is_unaudited_not_an_error(tmp_path: Path) -> None:
    stderr = (
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): "
        "Max retries exceeded with url: /pypi/django/5.2/json (Caused by NameResolutionError)"
    )
    code, _output, summary = _summarise(tmp_path, None, status=1, stderr=stderr)
    assert code == 0
    assert summary.startswith("pip-audit: UNAUDITED")


def test_a_known_vulnerability_still_fails(tmp_path: Path) -> None:
    deps = [
        {
            "name": "django",
            "version": "4.0",
            "vulns": [{"id": "PYSEC-2022-1", "fix_versions": ["4.0.1"]}],
        }
    ]
    code, output, summary = _summarise(tmp_path, {"dependencies": deps}, status=1)
    assert code == 1
    assert "django 4.0: PYSEC-2022-1 (fixed in 4.0.1)" in output
    assert "UNAUDITED" not in summary


def test_another_failure_without_a_report_still_fails(tmp_path: Path) -> None:
    code, output, _summary = _summarise(tmp_path, None, status=2, stderr="usage: pip-audit …")
    assert code == 1
    assert "did not produce a report" in output


def test_a_real_audit_says_how_many_packages_it_checked(tmp_path: Path) -> None:
    deps = [
        {"name": "django", "version": "5.2", "vulns": []},
        {"name": "antitrafficking-platform", "version": "0.1.0", **SKIPPED},
    ]
    code, _output, summary = _summarise(tmp_path, {"dependencies": deps})
    assert code == 0
    assert summary.strip() == "pip-audit: Audited: 1 package, none with a known vulnerability."


def test_scripts_test_repeats_the_audit_summary_after_pytest() -> None:
    script = (ROOT / "scripts" / "test").read_text()
    assert "AUDIT_SUMMARY_FILE" in script
    after_pytest = script.split('"$VENV/bin/pytest" "$@"', 1)[1]
    assert 'cat "$AUDIT_SUMMARY_FILE"' in after_pytest
