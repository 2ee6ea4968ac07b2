"""The parts of the site's pages that need no server: amounts, links, the access log's lines,
errors as pages."""

import asyncio

from budgetkg.server.access_log import AccessLog, Answered
from budgetkg.server.html_errors import html_errors
from budgetkg.server.labels import amount_text, cell, local_href, readable_iri
from jinja2 import Environment, PackageLoader, select_autoescape

BASE = "https://w3id.org/budgetkg/data/"


def test_amounts_print_with_separators_and_their_own_decimals():
    # 表12's 12,944.22 (line 869) as the store holds it, and what engines drop: 220.00 → "220".
    assert amount_text("12944.22") == "12,944.22" and amount_text("220") == "220.00"
    assert amount_text("20.668") == "20.668" and amount_text("-5.5") == "-5.50"
    assert amount_text("abc") is None and amount_text("NaN") is None and amount_text("1E+999999") is None
    decimal = {"type": "literal", "value": "5470.45", "datatype": "http://www.w3.org/2001/XMLSchema#decimal"}
    assert cell(decimal, {}, str, BASE, "zh")["text"] == "5,470.45 万元"


def test_links_stay_on_the_server_and_never_take_another_scheme():
    unit = BASE + "org/%E5%B9%BF/unit/x"
    assert local_href(unit, BASE, "zh") == "/org/%E5%B9%BF/unit/x"
    assert local_href(unit, BASE, "en") == "/org/%E5%B9%BF/unit/x?lang=en"
    assert local_href("https://w3id.org/budgetkg/codelist/fund/2024/a", BASE, "zh") == "/codelist/fund/2024/a"
    assert local_href("https://w3id.org/budgetkg/ontology#Project", BASE, "en") == "/ontology#Project"
    assert local_href("http://127.0.0.1:7878/dumps/a.ttl", BASE, "zh", "http://127.0.0.1:7878/") == "/dumps/a.ttl"
    for hostile in ("javascript:alert(1)", "data:text/html,x", "JAVASCRIPT:alert(1)"):
        assert local_href(hostile, BASE, "zh") == ""
    assert readable_iri(unit, BASE) == "org/广/unit/x"
    # An IRI without a label shows decoded, never percent-encoded.
    assert cell({"type": "uri", "value": unit}, {}, str, BASE, "zh")["text"] == "org/广/unit/x"


def test_an_access_log_line_escapes_what_the_client_wrote(tmp_path):
    log = AccessLog(str(tmp_path / "access.log"))
    scope = {
        "type": "http",
        "method": "GET",
        "http_version": "1.1",
        "raw_path": b"/sparql",
        "query_string": b'query=ASK%7B%7D&x="',
        "client": ("10.0.0.1", 5000),
        "headers": [
            (b"user-agent", b'a" \xe9\\'),
            (b"authorization", b"Bearer s3cret"),
            (b"referer", b"x" * 10_000),
        ],
    }
    log.write(scope, Answered(status=200, bytes=31))
    log.close()
    line = (tmp_path / "access.log").read_text(encoding="ascii")
    assert line.startswith("10.0.0.1 - - [") and line.endswith('"a\\" \\xe9\\\\"\n')
    assert '"GET /sparql?query=ASK%7B%7D&x=\\" HTTP/1.1" 200 31 ' in line
    assert '"' + "x" * 8192 + '..."' in line and "s3cret" not in line


def messages_of(scope, messages):
    templates = Environment(
        loader=PackageLoader("budgetkg.server", "templates"), autoescape=select_autoescape(["html"])
    )
    sent = []

    async def send(message):
        sent.append(message)

    async def run():
        sending = html_errors(scope, send, templates)
        for message in messages:
            await sending(message)

    asyncio.run(run())
    return sent


def test_an_error_becomes_a_page_only_for_a_browser_and_only_in_its_shape():
    error = [
        {"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"application/json")]},
        {
            "type": "http.response.body",
            "body": b'{"ok": false, "status": 404, "error": "<b>x</b>", "errors": ["<b>x</b>"]}',
        },
    ]
    browser = {"type": "http", "method": "GET", "query_string": b"", "headers": [(b"accept", b"text/html")]}
    page = messages_of(browser, error)
    assert dict(page[0]["headers"])[b"content-type"].startswith(b"text/html")
    assert b"<h1>404 Not Found</h1>" in page[1]["body"] and b"&lt;b&gt;x&lt;/b&gt;" in page[1]["body"]
    assert int(dict(page[0]["headers"])[b"content-length"]) == len(page[1]["body"])
    program = {**browser, "headers": [(b"accept", b"application/json")]}
    assert messages_of(program, error) == error
    other = [error[0], {"type": "http.response.body", "body": b'{"results": []}'}]  # JSON, not an error of ours
    assert messages_of(browser, other) == other
