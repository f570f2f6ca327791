"""The URL fetcher serves the project's files and nothing else unless told to."""

from __future__ import annotations

import base64
import gzip
import http.server
import threading
import uuid
from pathlib import Path

import pytest
import weasyprint
from conftest import png_bytes

from generator.render.fetcher import (
    DATA_URL_MAX,
    MAX_PIXELS,
    is_allowed_path,
    make_fetcher,
    pixel_count,
)

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="
)


class Server:
    """A local HTTP server that counts the requests it receives."""

    def __init__(self, routes: dict[str, tuple[int, dict, bytes]] | None = None):
        self.requests: list[str] = []
        server = self
        routes = routes or {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                status, headers, body = routes.get(self.path, (200, {"Content-Type": "image/png"}, PNG_1PX))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def place(tmp_path):
    """A project folder, and a canary file with unique content outside it."""
    root = tmp_path / "projet"
    (root / "images").mkdir(parents=True)
    (root / "images" / "ok.png").write_bytes(PNG_1PX)
    canary = tmp_path / "canary.txt"
    secret = f"CANARY-{uuid.uuid4().hex}".encode()
    canary.write_bytes(secret)
    return root, canary, secret


def refused(fetcher, url):
    with pytest.raises(ValueError):
        fetcher(url)


def test_a_file_inside_the_project_is_served(place):
    root, _, _ = place
    response = make_fetcher(root, [])(f"file://{root}/images/ok.png")
    assert response.read() == PNG_1PX
    assert response.content_type == "image/png"


def test_a_plain_path_inside_the_project_is_served(place):
    root, _, _ = place
    assert make_fetcher(root, [])(str(root / "images" / "ok.png")).read() == PNG_1PX


def test_extra_roots_are_served(place, tmp_path):
    root, _, _ = place
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "a.ttf").write_bytes(b"font")
    assert make_fetcher(root, [fonts])(fonts.as_uri() + "/a.ttf").read() == b"font"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/share/x",
    ],
)
def test_files_outside_the_project_are_refused_with_a_warning(place, url):
    root, _, _ = place
    warnings = []
    refused(make_fetcher(root, [], warn=warnings.append), url)
    assert len(warnings) == 1 and url in warnings[0]


def test_the_canary_outside_the_project_is_refused_every_way(place):
    root, canary, secret = place
    fetcher = make_fetcher(root, [])
    for url in (
        canary.as_uri(),
        f"file://{root}/../canary.txt",
        f"file://{root}/images/../../canary.txt",
        f"file://{root}/images/%2e%2e/%2e%2e/canary.txt",
        f"file://{root}/../{root.name}/../canary.txt?x#y",
    ):
        refused(fetcher, url)


def test_a_symlink_leading_out_is_refused(place):
    root, canary, _ = place
    (root / "images" / "link.png").symlink_to(canary)
    (root / "dirlink").symlink_to(canary.parent)
    fetcher = make_fetcher(root, [])
    refused(fetcher, f"file://{root}/images/link.png")
    refused(fetcher, f"file://{root}/dirlink/canary.txt")
    assert not is_allowed_path(root / "images" / "link.png", [root])


def test_a_symlink_staying_inside_is_served(place):
    root, _, _ = place
    (root / "alias.png").symlink_to(root / "images" / "ok.png")
    assert make_fetcher(root, [])(f"file://{root}/alias.png").read() == PNG_1PX


def test_a_project_reached_through_a_symlink_still_serves_its_files(place, tmp_path):
    root, _, _ = place
    (tmp_path / "via").symlink_to(root)
    via = tmp_path / "via"
    assert make_fetcher(via, [])(f"file://{via}/images/ok.png").read() == PNG_1PX


def test_directories_and_devices_are_refused(place):
    root, _, _ = place
    # /dev as a root on purpose: even there, a device is not a file to read
    fetcher = make_fetcher(root, [Path("/dev")])
    refused(fetcher, f"file://{root}/images")
    refused(fetcher, "file:///dev/zero")
    assert not is_allowed_path("/dev/zero", [Path("/dev")])


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "javascript:alert(1)", "gopher://x/", "about:blank"])
def test_other_schemes_are_refused(place, url):
    root, _, _ = place
    warnings = []
    refused(make_fetcher(root, [], warn=warnings.append), url)
    assert warnings


def test_http_is_refused_by_default_and_the_server_sees_nothing(place):
    root, _, _ = place
    with Server() as server:
        warnings = []
        fetcher = make_fetcher(root, [], warn=warnings.append)
        refused(fetcher, server.url + "/img.png")
        refused(fetcher, server.url.replace("http", "https") + "/img.png")
    assert server.requests == []
    assert "allow_remote" in warnings[0]


def test_http_is_served_when_remote_is_allowed(place):
    root, _, _ = place
    with Server() as server:
        response = make_fetcher(root, [], allow_remote=True)(server.url + "/img.png")
        assert response.read() == PNG_1PX
    assert server.requests == ["/img.png"]


def test_remote_responses_over_the_size_cap_are_refused(place):
    root, _, _ = place
    big = b"x" * 5000
    bomb = gzip.compress(b"\0" * 200_000)
    routes = {
        "/big": (200, {"Content-Type": "image/png"}, big),
        "/bomb": (200, {"Content-Type": "image/png", "Content-Encoding": "gzip"}, bomb),
        "/small-gz": (200, {"Content-Type": "text/css", "Content-Encoding": "gzip"}, gzip.compress(b"p{}")),
    }
    with Server(routes) as server:
        fetcher = make_fetcher(root, [], allow_remote=True, max_bytes=4000)
        refused(fetcher, server.url + "/big")
        assert len(bomb) < 4000
        refused(fetcher, server.url + "/bomb")
        assert fetcher(server.url + "/small-gz").read() == b"p{}"


def test_redirects_only_lead_to_http(place):
    root, canary, _ = place
    routes = {
        "/to-file": (302, {"Location": canary.as_uri()}, b""),
        "/to-ftp": (302, {"Location": "ftp://127.0.0.1/x"}, b""),
        "/to-img": (302, {"Location": "/img.png"}, b""),
    }
    with Server(routes) as server:
        fetcher = make_fetcher(root, [], allow_remote=True)
        refused(fetcher, server.url + "/to-file")
        refused(fetcher, server.url + "/to-ftp")
        assert fetcher(server.url + "/to-img").read() == PNG_1PX


def test_data_urls_are_served_below_the_bound_only(place):
    root, _, _ = place
    fetcher = make_fetcher(root, [])
    small = "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    assert fetcher(small).read() == PNG_1PX
    refused(fetcher, "data:text/plain," + "a" * (DATA_URL_MAX + 1))


def test_weasyprint_skips_refused_resources_and_renders(place):
    root, canary, secret = place
    warnings = []
    with Server() as server:
        html = f"""
        <link rel="attachment" href="{canary.as_uri()}">
        <link rel="stylesheet" href="{server.url}/x.css">
        <style>@import url({server.url}/y.css); @import url(file:///etc/passwd);</style>
        <p>Texte<img src="{canary.as_uri()}"><img src="images/ok.png">
        <img src="{server.url}/img.png"><a rel="attachment" href="../canary.txt">a</a></p>
        """
        fetcher = make_fetcher(root, [], warn=warnings.append)
        pdf = weasyprint.HTML(string=html, base_url=str(root) + "/", url_fetcher=fetcher).write_pdf()
    assert server.requests == []
    assert pdf.startswith(b"%PDF") and secret not in pdf
    assert any(canary.name in w for w in warnings)
    assert b"/EmbeddedFile" not in pdf


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height but holds almost no data."""
    return png_bytes(width, height, pixels=False)


def test_images_claiming_too_many_pixels_are_refused_from_anywhere(place):
    root, _, _ = place
    (root / "images" / "bomb.png").write_bytes(png_header(20_000, 20_000))
    (root / "images" / "big-ok.png").write_bytes(png_header(5000, 4000))
    assert pixel_count(png_header(20_000, 20_000)) == 400_000_000 > MAX_PIXELS
    warnings = []
    fetcher = make_fetcher(root, [], warn=warnings.append)
    refused(fetcher, f"file://{root}/images/bomb.png")
    assert "megapixels" in warnings[0]
    assert fetcher(f"file://{root}/images/big-ok.png").read()[:4] == b"\x89PNG"
    refused(fetcher, "data:image/png;base64," + base64.b64encode(png_header(20_000, 20_000)).decode())
    with Server({"/bomb.png": (200, {"Content-Type": "image/png"}, png_header(20_000, 20_000))}) as server:
        refused(make_fetcher(root, [], allow_remote=True), server.url + "/bomb.png")
