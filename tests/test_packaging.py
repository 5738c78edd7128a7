"""The wheel ships what an installed tutor needs: every lesson (as tutor/lessons) and every data file."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_lessons_and_data(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = tmp_path.glob("smtp_auth_tutor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for lesson in sorted((ROOT / "lessons").glob("*.toml")):
        assert f"tutor/lessons/{lesson.name}" in names
    assert "tutor/lessons/README.md" in names
    for data in sorted((ROOT / "tutor" / "data").glob("*.toml")):
        assert f"tutor/data/{data.name}" in names
    for page in ("index.html", "app.js", "app.css"):                      # serve --web's page, no CDN
        assert f"tutor/data/web/{page}" in names
    assert not any(name.endswith((".key", ".pem")) for name in names)     # no private key ships
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "smtp-tutor = tutor.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
