"""deploy/nginx.conf on loopback, for the tests, `make bench` and `make loadtest`.

Fills in the file's @PLACEHOLDER@ values for a temporary folder (ports on
127.0.0.1, a throwaway self-signed certificate, the cache and logs in the
folder) and runs nginx from it as a child process: `nginx -t` first, then
`daemon off` with its pid file in the folder. Nothing outside the folder is used.
"""

import getpass
import http.client
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "deploy" / "nginx.conf"
SERVER_NAME = "localhost"


def nginx_binary():
    """The nginx program, or None. Debian puts it in /usr/sbin, which is not on
    every user's PATH."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def render(values, app_servers):
    """The configuration text with every placeholder filled in; the upstream's
    `server @APP_SERVER@ ...` line is repeated once per app server."""
    lines = []
    for line in CONF.read_text().splitlines(keepends=True):
        if "@APP_SERVER@" in line and not line.lstrip().startswith("#"):
            lines += [line.replace("@APP_SERVER@", server) for server in app_servers]
        else:
            lines.append(line)
    text = "".join(lines)
    for name, value in values.items():
        text = text.replace(f"@{name}@", str(value))
    return text


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Nginx:
    """nginx with the shipped configuration in front of `app_servers`
    ("127.0.0.1:8001", ...), serving `static_root` at /static/."""

    def __init__(self, workdir, app_servers, static_root, admin_path="/admin/", https_port=None):
        self.workdir = Path(workdir)
        self.app_servers = list(app_servers)
        self.static_root = Path(static_root)
        self.admin_path = admin_path
        self.http_port = free_port()
        self.https_port = https_port or free_port()
        self.process = None
        self.tls = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def certificate(self):
        return self.workdir / "tls" / "fullchain.pem"

    @property
    def access_log(self):
        return self.workdir / "logs" / "clinic-access.log"

    @property
    def cache_dir(self):
        return self.workdir / "cache" / "pages"

    def _make_certificate(self):
        tls = self.certificate.parent
        tls.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "2", "-subj", f"/CN={SERVER_NAME}",
                "-addext", f"subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1",
                "-keyout", str(tls / "privkey.pem"), "-out", str(self.certificate),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip

    def _command(self, *extra):
        conf = self.workdir / "nginx.conf"
        pid = self.workdir / "nginx.pid"
        return [
            nginx_binary(),
            "-p", str(self.workdir),
            "-c", str(conf),
            "-e", str(self.workdir / "logs" / "startup-error.log"),
            "-g", f"pid {pid}; daemon off;",
            *extra,
        ]  # fmt: skip

    def start(self):
        for folder in ("logs", "cache"):
            (self.workdir / folder).mkdir(parents=True, exist_ok=True)
        self._make_certificate()
        self.tls = ssl.create_default_context(cafile=str(self.certificate))
        values = {
            "USER": getpass.getuser(),
            "SERVER_NAME": SERVER_NAME,
            "HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "TLS_DIR": self.certificate.parent,
            "STATIC_ROOT": self.static_root,
            "ADMIN_PATH": self.admin_path,
            "CACHE_DIR": self.workdir / "cache",
            "LOG_DIR": self.workdir / "logs",
        }
        (self.workdir / "nginx.conf").write_text(render(values, self.app_servers))
        check = subprocess.run(self._command("-t", "-q"), capture_output=True, text=True, check=False)
        if check.returncode:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        self.process = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx stopped: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start listening within 10 s")

    def request(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=30):
        """One HTTPS request from the loopback address `source` (127.x.y.z: each
        simulated visitor can have its own). Returns (status, headers, body)."""
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, timeout=timeout, context=self.tls, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
