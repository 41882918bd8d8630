"""The window talks only to its own centre: TLS with a pinned CA, required (issue 8, item 6).

Real PostgreSQL throughout: the session's centre (ssl=on, certificate from the suite's CA), a second one
without TLS, and a "fake centre" whose certificate another CA signed. Each attack is run as an attacker
would, through the window's command line, and the test checks that the fake is live (the old code, which
connected with libpq's default sslmode=prefer and no CA, would have gone through)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.types.json import Jsonb

from db.central import CentralClient, _libpq_url, add_window, init_central
from db.local.models import OutboxOp, User
from desktop.cli import main
from desktop.core.auth import hash_password
from desktop.core.sync import PROTOCOL
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import residence_permit_intake
from tests.support.postgres import TempPostgres
from tests.support.tls import TestCA

CENTRE, WINDOW = "310104", "01"


def run(capsys, *args: str):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _admin(url: str, query: str, *params):
    with psycopg.connect(_libpq_url(url)) as con:
        cur = con.execute(query, params)
        row = cur.fetchone() if cur.description else None
        con.commit()
        return row[0] if row else None


def _states(services) -> dict[str, str]:
    with services.Session() as s:
        return {op.op_id: op.state for op in s.query(OutboxOp)}


def _without_tls_params(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def _evil_centre(pg: TempPostgres) -> tuple[str, str]:
    """A complete central database on `pg` that would plant an administrator in every window it reaches.
    Returns (admin URL, this window's login URL on it, without TLS parameters)."""
    admin = pg.create_database("yc_fake")
    init_central(admin)
    wurl = _without_tls_params(add_window(admin, CENTRE, WINDOW, centre_name="假冒中心"))
    _admin(admin, "select admin.upsert_user(%s)", Jsonb({
        "login": "evil", "name": "冒充管理员", "staff_no": "X0001", "role": "admin",
        "password_hash": hash_password("evil12345")}))
    return admin, wurl


@pytest.fixture(scope="module")
def plain_centre() -> Iterator[tuple[str, str]]:
    """A centre running without TLS (ssl=off, plain `host` lines): what the window must refuse."""
    with TempPostgres(ssl=False) as pg:
        yield _evil_centre(pg)


@pytest.fixture(scope="module")
def fake_centre() -> Iterator[tuple[str, str, TempPostgres]]:
    """A centre with TLS on, but its certificate signed by a CA of its own (the attacker's)."""
    with TempPostgres(ca=TestCA("Attacker Root CA")) as pg:
        admin, wurl = _evil_centre(pg)
        yield admin, wurl, pg


@pytest.fixture
def linked(services, window, central_ca, central_url) -> str:
    """The window linked to its real centre with the suite's CA; returns its login URL (with the password)."""
    url = window(CENTRE, WINDOW, centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    clean = _without_tls_params(url) + "?sslmode=verify-full"
    services.set_central(url=clean, ca_cert=central_ca)
    return clean


def _live(wurl: str) -> dict:
    """The attacker's centre answers a window that does not verify it (libpq's default sslmode=prefer,
    no CA, no channel binding: how the window connected before)."""
    with psycopg.connect(wurl, sslmode="prefer", connect_timeout=5) as con:
        return con.execute("select sync.handshake(%s)", (PROTOCOL,)).fetchone()[0]


# ---- the real centre -------------------------------------------------------------------------------
def test_a_window_connects_to_its_centre_with_verify_full_and_channel_binding(services, clerk, linked,
                                                                                central_url, central_ca, home):
    case = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert services.sync_round().pushed == 3  # the case, its voucher and its 受理通知书
    assert _admin(central_url, "select count(*) from yc.cases where case_no = %s", case.case_no) == 1
    # the CA is kept in the data folder, owner-only, and the stored URL names no file
    kept = home / "central-ca.pem"
    assert kept.read_bytes() == central_ca.read_bytes()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert services.central_ca_file() == kept
    assert "sslrootcert" not in services.setting("central_url")
    # the connection the window makes: TLS, verify-full against the kept CA, channel binding required
    from desktop.core.sync.link import candidate_link

    link = candidate_link(services.store)
    me = services.client_identity()  # the bound window's own machine: the one-argument handshake is refused
    hello = {"machine_id": me["machine_id"], "key_sha256": me["key_sha256"], "client_time": "2026-11-23T09:30:00+08:00"}
    with CentralClient(link.url, ca_cert=link.ca_file) as client:
        assert client.handshake(PROTOCOL, hello)["window_no"] == WINDOW
        row = _admin(central_url, "select json_build_object('ssl', s.ssl, 'version', s.version) "
                     "from pg_stat_ssl s join pg_stat_activity a using (pid) where a.usename = %s",
                     "yc_w_310104_01")
        assert row["ssl"] is True and row["version"] in ("TLSv1.2", "TLSv1.3")
    # a URL that asks for less cannot lower it: the window's parameters override the URL's
    weak = linked.replace("sslmode=verify-full", "sslmode=disable&channel_binding=disable")
    with CentralClient(weak, ca_cert=kept) as client:
        assert client.handshake(PROTOCOL, hello)["window_no"] == WINDOW


# ---- the attacks -----------------------------------------------------------------------------------
def test_a_centre_without_tls_is_refused_and_nothing_is_marked_sent(services, clerk, linked, plain_centre,
                                                                    central_url, home, capsys):
    admin, plain_url = plain_centre
    assert _live(plain_url)["window_no"] == WINDOW  # the plain centre would answer an unverifying window
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    before = _states(services)
    stored = services.setting("central_url")
    for url in (plain_url, plain_url + "?sslmode=disable"):
        code, out, err = run(capsys, "--home", str(home), "sync", "--central", url)
        assert code == 1 and out is None
        assert "未启用 TLS" in err and "拒绝" in err
    assert _states(services) == before and set(before.values()) == {"pending"}
    assert _admin(admin, "select count(*) from yc.ops") == 0
    with services.Session() as s:
        assert s.get(User, "evil") is None
    assert services.setting("central_url") == stored  # the working link is still the real centre
    code, out, _ = run(capsys, "--home", str(home), "sync")
    assert code == 0 and out["pushed"] == len(before)
    assert _admin(central_url, "select count(*) from yc.ops") == len(before)


def test_a_fake_centre_signed_by_another_ca_cannot_mark_the_outbox_or_plant_a_user(
        services, clerk, linked, fake_centre, home, capsys):
    admin, fake_url, fake_pg = fake_centre
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    before = _states(services)
    # the network sends the window to the fake: same login and password, the fake's address
    real = urlsplit(linked)
    _admin(admin, f"alter role yc_w_310104_01 password '{real.password}'")
    fake_pg.create_database(real.path.lstrip("/"), template="yc_fake")  # the name the window dials
    hijacked = real._replace(netloc=f"{real.username}:{real.password}@127.0.0.1:{fake_pg.port}")
    assert _live(urlunsplit(hijacked._replace(query="")))["window_no"] == WINDOW  # live, TLS and all
    services.store.set_setting("central_url", services.setting("central_url").replace(
        f":{real.port}/", f":{fake_pg.port}/"))
    code, out, err = run(capsys, "--home", str(home), "sync")
    assert code == 1 and out is None and "不是由本窗口信任的 CA 签发" in err
    # and handed the fake's own URL (a technician fooled), with or without its CA on the same host
    code, _, err = run(capsys, "--home", str(home), "sync", "--central", fake_url)
    assert code == 1 and "不是由本窗口信任的 CA 签发" in err
    assert _states(services) == before and set(before.values()) == {"pending"}
    for fake_db in (admin, fake_pg.url(real.path.lstrip("/"))):
        assert _admin(fake_db, "select count(*) from yc.ops") == 0
    with services.Session() as s:
        assert s.get(User, "evil") is None
    assert services.sync_status().online is False and "CA" in services.sync_status().last_error


def test_a_typo_or_a_wrong_ca_does_not_replace_the_working_link(services, clerk, linked, home, tmp_path,
                                                               capsys):
    stored_url = services.setting("central_url")
    def central_secrets() -> dict:
        """The central password's entries of the secrets file (the chain head beside them moves with every
        audit record, as it should)."""
        kept = json.loads((home / "secrets" / "central.json").read_text(encoding="utf-8"))
        return {k: v for k, v in kept.items() if not k.endswith(("-chain", "-chain-head"))}

    secrets_before = central_secrets()
    assert secrets_before  # the working password is there
    ca_before = (home / "central-ca.pem").read_bytes()
    real = urlsplit(linked)
    typos = [
        urlunsplit(real._replace(netloc=f"{real.username}:{real.password}@127.0.0.1:9")),  # wrong port
        urlunsplit(real._replace(netloc=f"{real.username}:wrong@{real.hostname}:{real.port}")),  # password
        urlunsplit(real._replace(path="/no_such_db")),
    ]
    for typo in typos:
        code, out, err = run(capsys, "--home", str(home), "sync", "--central", typo)
        assert code == 1 and "中心数据库" in err, err
    other_ca = TestCA("Some Other CA").write(tmp_path / "other.pem")
    code, _, err = run(capsys, "--home", str(home), "sync", "--ca-cert", str(other_ca))
    assert code == 1 and "不是由本窗口信任的 CA 签发" in err
    not_a_cert = tmp_path / "ca.pem"
    not_a_cert.write_text("postgresql://yc_w_310104_01@central/yichuang\n", encoding="utf-8")
    code, _, err = run(capsys, "--home", str(home), "sync", "--central", linked, "--ca-cert", str(not_a_cert))
    assert code == 2 and "不是 PEM 格式的证书" in err
    code, _, err = run(capsys, "--home", str(home), "sync", "--central", "mysql://x@y/z")
    assert code == 2 and "postgresql://" in err
    assert services.setting("central_url") == stored_url
    assert central_secrets() == secrets_before
    assert (home / "central-ca.pem").read_bytes() == ca_before
    assert sorted(p.name for p in home.iterdir() if "central-ca" in p.name) == ["central-ca.pem"]
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    code, out, _ = run(capsys, "--home", str(home), "sync")
    assert code == 0 and out["pushed"] == 3


def test_no_ca_no_link(services, window, home, capsys):
    url = _without_tls_params(window(CENTRE, WINDOW)) + "?sslmode=verify-full"
    code, out, err = run(capsys, "--home", str(home), "sync", "--central", url)
    assert code == 2 and out is None and "--ca-cert" in err
    assert services.setting("central_url") == "" and services.central_ca_file() is None


# ---- provisioning ------------------------------------------------------------------------------------
def test_add_window_needs_the_ca_and_prints_it_with_a_verify_full_url(services, clerk, central_url, central_ca,
                                                                     home, tmp_path, capsys):
    roles = "select count(*) from yc.windows where centre_code = '310104' and window_no = '01'"
    code, out, err = run(capsys, "central", "add-window", central_url, "--centre", CENTRE, "--window", WINDOW)
    assert code == 2 and out is None and "--ca-cert" in err
    bad = tmp_path / "empty.pem"
    bad.write_bytes(b"")
    code, out, err = run(capsys, "central", "add-window", central_url, "--centre", CENTRE, "--window", WINDOW,
                         "--ca-cert", str(bad))
    assert code == 2 and "CA 证书" in err
    assert _admin(central_url, roles) == 0  # refused before anything was provisioned
    code, out, _ = run(capsys, "central", "add-window", central_url, "--centre", CENTRE, "--window", WINDOW,
                       "--ca-cert", str(central_ca))
    assert code == 0 and set(out) == {"url", "ca_cert"}
    assert urlsplit(out["url"]).query == "sslmode=verify-full"
    assert out["ca_cert"] == central_ca.read_text(encoding="ascii")
    assert _admin(central_url, roles) == 1
    # the window is set up from exactly that output
    ca_file = tmp_path / "from-centre.pem"
    ca_file.write_text(out["ca_cert"], encoding="ascii")
    publish_store_catalogues(central_url, services)  # cases are taken only under a catalogue the centre published
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    code, result, _ = run(capsys, "--home", str(home), "sync", "--central", out["url"], "--ca-cert", str(ca_file))
    assert code == 0 and result["pushed"] == 3
    assert os.stat(home / "central-ca.pem").st_mode & 0o077 == 0


def test_the_settings_path_pins_the_ca_given_inside_the_url(services, window, central_ca, home):
    """libpq's own form, "?sslrootcert=FILE", works as --ca-cert does: the CA is copied and pinned, the
    stored URL keeps no file name."""
    where = services.set_central(url=window(CENTRE, WINDOW))
    assert where == "file"
    assert (home / "central-ca.pem").read_bytes() == central_ca.read_bytes()
    assert services.setting("central_url").endswith("?sslmode=verify-full")
    assert Path(services.central_ca_file() or "").name == "central-ca.pem"
