"""``POST /api/pages/info`` on the test server: every page answers (recorded, generated, created and edited ones),
with the optional latency, the count of requests in flight, and the faults that make it fail."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import httpx

from docmost_pipeline.emulator.server import DOCMOST_095_INFO_LATENCY
from docmost_pipeline_tests.emulator.test_server_recordings import logged_in

INFO = "/api/pages/info"


def control(server, **operation) -> object:
    request = urllib.request.Request(f"{server.base_url}/__control__/faults", data=json.dumps(operation).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result"]


def test_every_page_of_every_space_answers_with_its_document(docmost_server):
    docmost_server.add_generated_space(pages=2000)
    answered = 0
    with logged_in(docmost_server) as http:
        for space in docmost_server.spaces():
            for page in space.model.pages.values():
                response = http.post(INFO, json={"pageId": page.id})
                assert response.status_code == 200, (space.slug, page.id, response.text)
                data = response.json()["data"]
                assert (data["id"], data["spaceId"], data["updatedAt"]) == (page.id, space.id, page.updated_at)
                content = data["content"]
                assert content is None or content["type"] == "doc"
                answered += 1
    assert answered == 2000 + 100 + 1 + 34 + 20 + 7  # engineering has one trashed page: info answers it too


def test_created_and_edited_pages_answer_with_their_new_content(docmost_server):
    created = docmost_server.create_page("engineering", "A new page", content="First block.\n\nSecond block.")
    glossary = next(p.id for p in docmost_server.space_by_slug("engineering").model.pages.values()
                    if p.title == "Glossary")
    edited = docmost_server.append_text(glossary, "A sentence added in Docmost.")
    with logged_in(docmost_server) as http:
        new = http.post(INFO, json={"pageId": created["id"]}).json()["data"]
        changed = http.post(INFO, json={"pageId": glossary}).json()["data"]
    assert new["title"] == "A new page" and new["updatedAt"] == created["updatedAt"]
    assert [block["content"][0]["text"] for block in new["content"]["content"]] == ["First block.", "Second block."]
    assert changed["updatedAt"] == edited["updatedAt"]
    assert "A sentence added in Docmost." in json.dumps(changed["content"], ensure_ascii=False)


def test_info_latency_is_served_and_switched_off_again(docmost_server):
    page = next(iter(docmost_server.space_by_slug("collisions").model.pages))
    assert control(docmost_server, op="set_info_latency") == {"seconds": DOCMOST_095_INFO_LATENCY}
    control(docmost_server, op="set_info_latency", seconds=0.3)
    with logged_in(docmost_server) as http:
        started = time.monotonic()
        assert http.post(INFO, json={"pageId": page}).status_code == 200
        slow = time.monotonic() - started
        control(docmost_server, op="set_info_latency", seconds=0)
        started = time.monotonic()
        assert http.post(INFO, json={"pageId": page}).status_code == 200
        fast = time.monotonic() - started
    assert slow >= 0.3 and fast < 0.2


def test_requests_in_flight_are_counted(docmost_server):
    pages = list(docmost_server.space_by_slug("engineering").model.pages)[:6]
    docmost_server.set_info_latency(0.3)
    control(docmost_server, op="info_concurrency", reset=True)

    def ask(page_id: str) -> None:
        with logged_in(docmost_server) as http:
            assert http.post(INFO, json={"pageId": page_id}).status_code == 200

    threads = [threading.Thread(target=ask, args=(page,)) for page in pages[:3]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert control(docmost_server, op="info_concurrency") == {"in_flight": 0, "max_in_flight": 3}
    control(docmost_server, op="info_concurrency", reset=True)
    ask(pages[3])
    assert docmost_server.info_concurrency() == {"in_flight": 0, "max_in_flight": 1}


def test_one_page_fails_persistently_the_others_answer(docmost_server):
    broken, fine = list(docmost_server.space_by_slug("hangul-docs").model.pages)[:2]
    control(docmost_server, op="fail_page_info", page_id=broken, status=502)
    with logged_in(docmost_server) as http:
        statuses = [http.post(INFO, json={"pageId": broken}).status_code for _ in range(3)]
        assert http.post(INFO, json={"pageId": fine}).status_code == 200
        control(docmost_server, op="reset")
        assert http.post(INFO, json={"pageId": broken}).status_code == 200
    assert statuses == [502, 502, 502]
    assert docmost_server.count(INFO, 502) == 3


def test_fail_page_info_takes_only_a_server_error(docmost_server):
    response = httpx.post(f"{docmost_server.base_url}/__control__/faults",
                          json={"op": "fail_page_info", "page_id": "x", "status": 404})
    assert response.status_code == 400 and "5xx" in response.json()["error"]
