"""CPU per step of a sync round, one step at a time (issue 17, by hand): what a log-in costs (SCRAM or a client
certificate) beside the calls of a round, in CPU milliseconds of the server and of the client.

    .venv/bin/python tests/benchmarks/bench_login.py [--seconds 5] [--threads 2] [--json]

A throwaway PostgreSQL 15 (TLS as a centre runs it) with the central schema and 50 bound windows provisioned by
`add_windows`. For the certificate rows each window also gets a client certificate (CN = its login, signed by
the suite's CA, which the server is given as ssl_ca_file) and pg_hba.conf a first line `hostssl all
+yc_window_cert 127.0.0.1/32 cert` (members of one NOLOGIN group only): a measurement set-up, not a product
option. Each step runs for --seconds on --threads threads, windows taken in turn:
- login_scram: connect (TCP, TLS, SCRAM-SHA-256 with channel binding, backend start) and close;
- login_cert: the same with the window's client certificate instead of a password;
- handshake: sync.handshake on an open connection; pulls7: the seven sync.pull calls of a round on an open
  connection (nothing new); pull_all: the one sync.pull_all call (central c0015) that replaces them.
Prints one JSON object: {step: {"per_s", "server_cpu_ms", "client_cpu_ms"}} plus the machine."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from db.central import CentralClient, init_central, publish_catalogue  # noqa: E402
from db.central.admin import add_windows  # noqa: E402
from desktop.core.sync import PROTOCOL, PULL_LIMITS, STREAMS  # noqa: E402
from tests.benchmarks.bench_sync import machine  # noqa: E402
from tests.benchmarks.city_profile import CpuMeter, postmaster_pid  # noqa: E402
from tests.support.central_ops import CATALOGUE_MATTER, CATALOGUE_VERSION, Chain, case_op  # noqa: E402
from tests.support.postgres import TempPostgres  # noqa: E402


def run_step(meter: CpuMeter, threads: int, seconds: float, fn) -> dict:
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def work(k: int) -> None:
        n = 0
        while time.monotonic() < stop:
            fn(k, n)
            n += 1
        counts[k] = n

    meter.start()
    t = time.monotonic()
    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    elapsed = time.monotonic() - t
    time.sleep(0.3)  # the last backends exit and are reaped
    cpu = meter.stop()
    n = max(1, sum(counts))
    return {"per_s": round(n / elapsed, 1), "server_cpu_ms": round(cpu["postgres"] / n * 1000, 2),
            "client_cpu_ms": round(cpu["generator"] / n * 1000, 2), "n": n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated steps (default: all)")
    args = ap.parse_args()
    out: dict = {"machine": machine()}
    with TempPostgres(shared_buffers="128MB") as pg, tempfile.TemporaryDirectory() as tmp:
        admin_url = pg.create_database("yc_login")
        init_central(admin_url)
        publish_catalogue(admin_url, json.dumps({"version": CATALOGUE_VERSION, "matters": [CATALOGUE_MATTER]},
                                                ensure_ascii=False))
        wanted = [("310001", f"{n:02d}") for n in range(1, 51)]
        urls = add_windows(admin_url, wanted)
        assert pg.ca is not None and pg.ca_file is not None and pg.datadir is not None
        # windows 26-50 log in by certificate only (hba: the group's line comes first), 1-25 by SCRAM
        cert_urls = cert_logins(pg, urls[25:], Path(tmp))
        urls = urls[:25]
        clients = [CentralClient(u, ca_cert=pg.ca_file) for u in urls]
        for k, c in enumerate(clients):  # bind each window once
            c.handshake(PROTOCOL, {"machine_id": f"{k:032x}", "key_sha256": "", "client_time": ""})
            c.bind_window(f"{k:032x}", f"{k:064x}")
        meter = CpuMeter(postmaster_pid(pg.datadir))
        clients_t = [clients[k::args.threads] for k in range(args.threads)]

        def login(url_list):
            def fn(k: int, n: int) -> None:
                CentralClient(url_list[(k + n * args.threads) % len(url_list)], ca_cert=pg.ca_file)._connection().close()
            return fn

        def handshake(k: int, n: int) -> None:
            c = clients_t[k][n % len(clients_t[k])]
            c.handshake(PROTOCOL, {"machine_id": f"{clients.index(c):032x}", "key_sha256": "", "client_time": ""})

        def pulls7(k: int, n: int) -> None:
            c = clients_t[k][n % len(clients_t[k])]
            for s in STREAMS:
                c.pull(s, 10**12, PULL_LIMITS[s])

        def pull_all(k: int, n: int) -> None:
            c = clients_t[k][n % len(clients_t[k])]
            c.pull_all(dict.fromkeys(STREAMS, 10**12), PULL_LIMITS)

        def cold_round(seven: bool | None, handshake: bool = True):  # a new connection: log-in, calls, close
            def fn(k: int, n: int) -> None:
                i = (k + n * args.threads) % len(urls)
                with CentralClient(urls[i], ca_cert=pg.ca_file) as c:
                    if not handshake:
                        c._call("SELECT 1", ())
                        return
                    c.handshake(PROTOCOL, {"machine_id": f"{i:032x}", "key_sha256": "", "client_time": ""})
                    if seven is None:
                        return
                    if seven:
                        for s in STREAMS:
                            c.pull(s, 10**12, PULL_LIMITS[s])
                    else:
                        c.pull_all(dict.fromkeys(STREAMS, 10**12), PULL_LIMITS)
            return fn

        serials = [0] * len(urls)
        chains = [Chain(bytes.fromhex(f"{i:064x}")) for i in range(len(urls))]

        def push_one(client_of):
            def fn(k: int, n: int) -> None:
                i = k + (n % (len(urls) // args.threads)) * args.threads  # each thread its own windows
                serials[i] += 1
                op = chains[i](case_op(wanted[i][0], wanted[i][1], serials[i]))
                c = client_of(i)
                try:
                    answer = c.push([op])[0]
                    assert answer["status"] == "applied", answer
                finally:
                    if c is not clients[i]:
                        c.close()
            return fn

        for name, fn in (("login_scram", login(urls)), ("login_cert", login(cert_urls)),
                         ("handshake", handshake), ("pulls7", pulls7), ("pull_all", pull_all),
                         ("cold_select1", cold_round(None, handshake=False)),
                         ("cold_handshake", cold_round(None)),
                         ("cold_handshake_pulls7", cold_round(True)),
                         ("cold_handshake_pull_all", cold_round(False)),
                         ("push1_warm", push_one(lambda i: clients[i])),
                         ("push1_cold", push_one(lambda i: CentralClient(urls[i], ca_cert=pg.ca_file)))):
            if args.only and name not in args.only.split(","):
                continue
            out[name] = run_step(meter, args.threads, args.seconds, fn)
            if not args.json:
                print(name, out[name], file=sys.stderr, flush=True)
        for c in clients:
            c.close()
    print(json.dumps(out, ensure_ascii=False))


def cert_logins(pg: TempPostgres, urls: list[str], tmp: Path) -> list[str]:
    """Client certificates for the windows at `urls` and the server set-up that accepts them (see above);
    returns the URLs without password, with sslcert/sslkey and channel_binding=prefer (no SCRAM to bind)."""
    import os
    import shutil
    from datetime import UTC, datetime, timedelta
    from urllib.parse import quote, urlsplit

    import psycopg
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    assert pg.ca is not None and pg.datadir is not None and pg.ca_file is not None
    shutil.copy(pg.ca_file, Path(pg.datadir, "client_ca.crt"))
    pg._chown(str(Path(pg.datadir, "client_ca.crt")))
    hba = Path(pg.datadir, "pg_hba.conf")
    hba.write_text("hostssl all +yc_window_cert 127.0.0.1/32 cert\n" + hba.read_text())
    out = []
    now = datetime.now(UTC)
    with psycopg.connect(pg.admin_dsn, autocommit=True) as con:
        con.execute("CREATE ROLE yc_window_cert NOLOGIN")
        con.execute("ALTER SYSTEM SET ssl_ca_file = 'client_ca.crt'")
        for url in urls:
            u = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
            role = u.username
            con.execute(f'GRANT yc_window_cert TO "{role}"')
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, role)]))
                    .issuer_name(pg.ca.name).public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                    .sign(pg.ca.key, hashes.SHA256()))
            crt, kf = tmp / f"{role}.crt", tmp / f"{role}.key"
            crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
            query = "&".join(x for x in (u.query, "channel_binding=prefer", f"sslcert={quote(str(crt))}",
                                         f"sslkey={quote(str(kf))}") if x)
            out.append(f"postgresql://{role}@{u.hostname}:{u.port}{u.path}?{query}")
        con.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    return out


if __name__ == "__main__":
    main()
