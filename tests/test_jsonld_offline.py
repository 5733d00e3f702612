"""Reading JSON-LD never opens a network connection or reads another file: graftkg's own context is
resolved from its bundled copy, every other context that is not written out in the document is
refused with a located error (checked against a live listener that must see no connection), and
the JSON-LD graftkg writes is read back by plain rdflib with the network cut off."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from graftkg.cli import main
from graftkg.errors import InputError
from graftkg.readers import read_inputs
from graftkg.reporting.convert import CONTEXT_URL, records_to_graph, to_jsonld

from conftest import EXAMPLES


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A local HTTP listener that records every connection (it answers nothing: a silent host)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                seen.append(conn.recv(1024) or b"(connected)")
            except OSError:
                seen.append(b"(connected)")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/context.jsonld", seen
    stop.set()
    thread.join()
    server.close()


def _node(**extra: object) -> dict[str, object]:
    return {
        "@id": "https://w3id.org/graftkg/id/transplant/T1",
        "@type": "https://w3id.org/graftkg/Transplant",
        "https://w3id.org/graftkg/identifier": "T1",
        **extra,
    }


def _documents(remote: str, tmp_path: Path) -> dict[str, object]:
    local_file = tmp_path / "ctx.jsonld"
    local_file.write_text(json.dumps({"@context": {"x": "http://example.org/x"}}))
    return {
        "top": {"@context": remote, **_node()},
        "in a list": {"@context": [CONTEXT_URL, remote], **_node()},
        "nested in a node": {"@context": CONTEXT_URL, "@graph": [_node(**{"@context": remote})]},
        "@import": {"@context": {"@version": 1.1, "@import": remote}, **_node()},
        "scoped in a term": {
            "@context": {"@version": 1.1, "t": {"@id": "http://e.org/t", "@context": remote}},
            **_node(),
        },
        "file": {"@context": local_file.resolve().as_uri(), **_node()},
        "relative": {"@context": "ctx.jsonld", **_node()},
    }


@pytest.mark.parametrize(
    "kind", ["top", "in a list", "nested in a node", "@import", "scoped in a term", "file", "relative"]
)
def test_a_context_from_elsewhere_is_refused_without_a_connection(
    kind: str, listener: tuple[str, list[bytes]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, seen = listener
    path = tmp_path / "in.jsonld"
    path.write_text(json.dumps(_documents(remote, tmp_path)[kind]))
    with pytest.raises(InputError, match=r"in\.jsonld: field '@context': refused: the context '"):
        read_inputs([path])
    for verb in (["classify"], ["validate"], ["convert"]):
        assert main([*verb, str(path)]) == 2
        _, err = capsys.readouterr()
        assert len(err.strip().splitlines()) == 1 and "refused: the context" in err and "Traceback" not in err
    assert seen == []


def test_graftkg_context_is_resolved_locally(listener: tuple[str, list[bytes]], tmp_path: Path) -> None:
    _, seen = listener
    doc = {"@context": [CONTEXT_URL, {"@version": 1.1}], **_node(**{"graftSource": "PB"})}
    path = tmp_path / "ok.jsonld"
    path.write_text(json.dumps(doc))
    assert [r.transplant_id for r in read_inputs([path])] == ["T1"]
    assert seen == []


def test_written_jsonld_reads_back_in_plain_rdflib_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    records = read_inputs([EXAMPLES / "paper-patients" / "csv"])
    graph = records_to_graph(records)
    text = to_jsonld(graph)

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network connection was opened")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    again = Graph().parse(data=text, format="json-ld")
    assert len(again) == len(graph)
    assert json.loads((EXAMPLES / "paper-patients" / "paper-patients.jsonld").read_text())["@context"]["gk"] == (
        "https://w3id.org/graftkg/"
    )


def test_the_listener_sees_a_connection(listener: tuple[str, list[bytes]]) -> None:
    """The check above can fail: a client that does connect is seen."""
    import urllib.request

    remote, seen = listener
    with pytest.raises(OSError):
        urllib.request.urlopen(remote, timeout=0.5)
    assert seen
