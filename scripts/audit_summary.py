"""Read pip-audit's JSON report and say in one line what it found (scripts/audit runs this).

Exit status: 1 when an installed package has a known vulnerability or pip-audit failed for a
reason other than the network; 0 otherwise, including when the vulnerability database could
not be reached. That last case is not a pass: the summary line then starts with UNAUDITED, and
scripts/test repeats it as its last line, so no one takes a closed network for a clean audit.

    python scripts/audit_summary.py REPORT.json STATUS STDERR_FILE [SUMMARY_FILE]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# What pip-audit's stderr says when the advisory service cannot be reached at all.
_NETWORK = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|Failed to resolve|"
    r"Temporary failure in name resolution|Network is unreachable|Connection refused|"
    r"timed out|ReadTimeout|ConnectTimeout|SSLError",
)
# This project itself is never on PyPI; a package skipped for another reason was not audited.
_OWN_PACKAGE = "antitrafficking-platform"
HOW_TO = "run scripts/audit where pypi.org's JSON API or osv.dev is reachable (docs/security.md)"


def packages(n: int) -> str:
    return f"{n} package" if n == 1 else f"{n} packages"


def unaudited(reason: str) -> str:
    return f"UNAUDITED: pip-audit checked no package: {reason}; {HOW_TO}."


def summarise(report: Path, status: int, stderr: str) -> tuple[int, list[str]]:
    """The exit status and the lines to print, the summary line last."""
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        if _NETWORK.search(stderr):
            return 0, [unaudited("the vulnerability database could not be reached")]
        return 1, [stderr.strip(), "ERROR: pip-audit did not produce a report (above)."]
    deps = data.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    skipped = [d for d in deps if "skip_reason" in d and d.get("name") != _OWN_PACKAGE]
    vulnerable = [d for d in audited if d.get("vulns")]
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
            lines.append(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if vulnerable:
        lines.append(
            f"ERROR: {len(vulnerable)} installed package(s) have known vulnerabilities (above)."
        )
        return 1, lines
    if not audited:
        example = f", e.g. {skipped[0]['skip_reason']!r}" if skipped else ""
        return 0, [
            unaudited(
                f"the vulnerability database could not be reached ({packages(len(skipped))} "
                f"skipped{example})"
            )
        ]
    if skipped:
        names = ", ".join(sorted(str(d.get("name")) for d in skipped))
        return 0, [
            f"PARTLY UNAUDITED: {packages(len(audited))} audited, none with a known "
            f"vulnerability; {len(skipped)} could not be checked ({names}); {HOW_TO}."
        ]
    return 0, [f"Audited: {packages(len(audited))}, none with a known vulnerability."]


def main(argv: list[str]) -> int:
    report, status, stderr_file = Path(argv[0]), int(argv[1]), Path(argv[2])
    stderr = stderr_file.read_text(errors="replace") if stderr_file.exists() else ""
    code, lines = summarise(report, status, stderr)
    for line in lines[:-1]:
        print(line)
    summary = f"pip-audit: {lines[-1]}"
    print(summary, file=sys.stderr if code else sys.stdout)
    if len(argv) > 3 and argv[3]:
        Path(argv[3]).write_text(summary + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
