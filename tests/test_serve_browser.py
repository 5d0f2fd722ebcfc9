"""Acceptance 2 of `port443 serve`: headless Chromium loads the built-in page and a static site.

The local CA is trusted the way a user's browser would trust it on Linux: in
the NSS database of the (temporary) home directory, with certutil. No flag
that skips certificate checks is used; a control run without the CA shows
Chromium refusing the page, so the trust is what makes it load.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from serve_helpers import served

pytestmark = pytest.mark.interop

CHROMIUM = shutil.which("chromium") or "chromium"  # Debian chromium and libnss3-tools: .ci/apt-packages.txt
CERTUTIL = shutil.which("certutil") or "certutil"


def chromium(home: Path, *args: str) -> subprocess.CompletedProcess:
    profile = home / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    env = dict(os.environ, HOME=str(home))
    done = subprocess.run(cmd, capture_output=True, timeout=120, env=env)
    if done.returncode != 0 and not done.stdout:  # Chromium itself failed to start (seen once on a loaded machine)
        done = subprocess.run(cmd, capture_output=True, timeout=120, env=env)
    return done


def trusting_home(tmp_path: Path, cafile: str) -> Path:
    home = tmp_path / "browser-home"
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    subprocess.run([CERTUTIL, "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run([CERTUTIL, "-A", "-d", f"sql:{db}", "-n", "port443 local CA", "-t", "C,,", "-i", cafile],
                   check=True, capture_output=True)
    return home


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-site")
    (root / "index.html").write_text("<!doctype html><title>my site</title><h1 id=greeting>Hello from a static "
                                     "site</h1><link rel=stylesheet href=style.css>\n")
    (root / "style.css").write_text("h1 { color: #1a7f37 }\n")
    return root


@pytest.mark.parametrize("engine", ["native", "openssl"])
def test_chromium_loads_the_builtin_page_and_a_static_site(tmp_path, site, engine):
    home = tmp_path / "port443-home"
    with served(home, "--engine", engine, "--host", "localhost", http=False) as page, \
            served(home, "--engine", engine, "--host", "localhost", "--root", str(site), http=False) as static:
        browser_home = trusting_home(tmp_path, page.cafile)
        dom = chromium(browser_home, "--dump-dom", f"https://localhost:{page.https_port}/").stdout.decode()
        version = re.search(r'id="version">([^<]+)<', dom)
        suite = re.search(r'id="suite">([^<]+)<', dom)
        assert version and suite, dom[:2000]
        assert version.group(1) == "TLSv1.3" and suite.group(1).startswith("TLS_")
        assert 'id="engine">' + engine in dom
        assert re.search(r'id="alpn">h2<', dom) and re.search(r'id="http">2<', dom)
        assert "X25519" in dom or "x25519" in dom  # Chromium's Client Hello offer, decoded
        assert "What an eavesdropper can still see" in dom

        shot = tmp_path / "builtin-page.png"
        chromium(browser_home, f"--screenshot={shot}", "--window-size=1100,1300",
                 f"https://localhost:{page.https_port}/")
        assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

        dom = chromium(browser_home, "--dump-dom", f"https://localhost:{static.https_port}/").stdout.decode()
        assert "Hello from a static site" in dom
        shot2 = tmp_path / "static-site.png"
        chromium(browser_home, f"--screenshot={shot2}", "--window-size=800,600",
                 f"https://localhost:{static.https_port}/")
        assert shot2.exists() and shot2.stat().st_size > 2_000

        # Control: the same browser without the CA in its NSS database refuses the page.
        untrusting = tmp_path / "untrusting-home"
        untrusting.mkdir()
        dom = chromium(untrusting, "--dump-dom", f"https://localhost:{page.https_port}/").stdout.decode()
        assert 'id="version"' not in dom
