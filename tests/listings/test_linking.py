"""Seller clusters: strong signals link, a weak one alone does not, two weak ones do; only
listings the caller may read take part, and the evidence of each link is shown."""

from __future__ import annotations

from tests.helpers import api_headers, listing


def post(client, headers, *rows) -> list[int]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/listings", json={"listings": list(rows)}, headers=headers)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["results"]]


def test_clusters_follow_strong_signals_and_pairs_of_weak_ones(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    plain = {"body": "", "image_hashes": [], "url": None}
    a, b, c, d, e = post(
        client,
        h,
        # A and B: the same Telegram account on two platforms
        listing(
            "K1",
            platform="Market A",
            seller="icyman",
            body="tg: @icy_plug",
            url=None,
            image_hashes=[],
        ),
        listing(
            "K2",
            platform="Forum B",
            seller="other",
            body="telegram: icy_plug",
            image_hashes=[],
            url=None,
        ),
        # C: only the handle of A on another platform: a weak signal alone
        listing("K3", platform="Shop C", seller="icyman", **plain),
        # D: the handle and the web shop of B's seller: two weak signals
        listing(
            "K4",
            platform="Shop D",
            seller="other",
            body="see https://icy-shop.example",
            image_hashes=[],
            url=None,
        ),
        listing("K5", platform="Forum B", seller="nobody", **plain),
    )
    r = client.post(
        "/api/v1/listings",
        json=listing(
            "K6",
            platform="Shop E",
            seller="other",
            body="https://icy-shop.example/x",
            image_hashes=[],
            url=None,
        ),
        headers=h,
    )
    f = r.json()["results"][0]["id"]
    got = client.get(f"/api/v1/listings/{a}/cluster", headers=h).json()
    members = {x["id"] for x in got["listings"]}
    assert members == {a, b}, got["links"]
    (link,) = got["links"]
    assert link["strong"] and "telegram:icy_plug" in link["signals"]
    assert got["platforms"] == {"Market A": 1, "Forum B": 1}
    d_cluster = client.get(f"/api/v1/listings/{d}/cluster", headers=h).json()
    assert {x["id"] for x in d_cluster["listings"]} == {d, f}
    (weak,) = d_cluster["links"]
    assert not weak["strong"] and set(weak["signals"]) == {
        "handle:other",
        "domain:icy-shop.example",
    }
    assert {
        x["id"] for x in client.get(f"/api/v1/listings/{c}/cluster", headers=h).json()["listings"]
    } == {c}
    assert e not in members


def test_a_cluster_holds_only_what_the_caller_may_read(client, engine) -> None:  # type: ignore[no-untyped-def]
    platform = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    cbp = api_headers(engine, "US-CBP", "analyst")
    body = "order on wickr: snowqueen99"
    (mine,) = post(client, cbp, listing("W1", platform="Forum", body=body, image_hashes=[]))
    (theirs,) = post(client, platform, listing("W2", platform="Market", body=body, image_hashes=[]))
    got = client.get(f"/api/v1/listings/{mine}/cluster", headers=cbp).json()
    assert [x["id"] for x in got["listings"]] == [mine]
    assert client.get(f"/api/v1/listings/{theirs}/cluster", headers=cbp).status_code == 404
    both = client.get(f"/api/v1/listings/{theirs}/cluster", headers=platform).json()
    assert [x["id"] for x in both["listings"]] == [theirs]


def test_near_identical_images_link_and_distant_ones_do_not(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    base = 0xA1B2C3D4E5F60718
    near, far = base ^ 0b1011, base ^ 0x3FF  # 3 and 10 bits apart
    a, b, c = post(
        client,
        h,
        *[
            listing(
                f"I{i}",
                platform=f"Site {i}",
                seller=f"s{i}",
                body="",
                url=None,
                image_hashes=[f"{x:016x}"],
            )
            for i, x in enumerate((base, near, far))
        ],
    )
    got = client.get(f"/api/v1/listings/{a}/cluster", headers=h).json()
    assert {x["id"] for x in got["listings"]} == {a, b}
    (link,) = got["links"]
    assert link["strong"] and link["signals"] == [f"image:{base:016x}~3"]
    assert c not in {x["id"] for x in got["listings"]}
