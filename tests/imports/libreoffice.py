"""Files saved by LibreOffice Calc, run headless: what an office that works in LibreOffice sends.

LibreOffice writes xlsx and ods its own way (shared strings and custom number-format ids,
formulas recalculated and saved with their values, merged cells as covered cells in ods), so
a file made with openpyxl or odfpy is opened and saved again by ``soffice`` itself.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

SOFFICE = shutil.which("soffice")

# A CSV file typed in Calc: comma-separated, UTF-8 (76), from line 1, Macedonian (1071) so
# "60,5%" is a number; "detect special numbers" reads "60%" as a percentage cell, as typing
# it in a cell does.
CSV_AS_TYPED = "CSV:44,34,76,1,,1071,false,true"


def convert(
    sources: Mapping[str, bytes], to: str, *, infilter: str = "", timeout: float = 180
) -> dict[str, bytes]:
    """Each source file (by name) opened and saved by LibreOffice as ``to`` ("xlsx", "ods"),
    by the name's stem; one soffice run for them all, with a profile of its own."""
    if SOFFICE is None:
        raise RuntimeError("LibreOffice (soffice) is not installed.")
    with tempfile.TemporaryDirectory(prefix="lo-") as work:
        root = Path(work)
        inputs = root / "in"
        outputs = root / "out"
        inputs.mkdir()
        for name, data in sources.items():
            (inputs / name).write_bytes(data)
        command = [
            SOFFICE,
            "--headless",
            "--norestore",
            "--nolockcheck",
            # A profile of its own: a user's LibreOffice (or another run) holds the default one.
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
        ]
        if infilter:
            command.append(f"--infilter={infilter}")
        command += ["--convert-to", to, "--outdir", str(outputs)]
        command += [str(inputs / name) for name in sources]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        saved = {path.stem: path.read_bytes() for path in outputs.glob(f"*.{to}")}
        missing = {Path(name).stem for name in sources} - set(saved)
        if done.returncode != 0 or missing:
            raise RuntimeError(
                f"soffice did not save {sorted(missing)} as {to} (exit {done.returncode}): "
                f"{done.stdout}\n{done.stderr}"
            )
        return saved
