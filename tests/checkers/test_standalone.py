from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_checkers_import_nothing_but_the_standard_library_and_themselves() -> None:
    probe = (
        "import sys\n"
        "import app.checkers.http, app.checkers.tcp, app.checkers.dns, app.checkers.tls\n"
        "print('\\n'.join(sorted(name for name in sys.modules\n"
        "      if name.split('.')[0] not in sys.stdlib_module_names)))\n"
    )
    finished = subprocess.run(
        # -S: no site-packages, as in a bare checker image.
        [sys.executable, "-S", "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=15,
    )

    foreign = [
        name
        for name in finished.stdout.split()
        if name not in ("__main__", "app") and not name.startswith("app.checkers")
    ]
    assert foreign == []
