"""What the four hotel services share: a Flask app with its own SQLite file, a
health route, a log of the calls it served, and a command line.

Each service (booking, room, restaurant, client) is a separate process with
its own database file and knows nothing of Baton or of the other services.
Callers may send three headers; every service records the requests that carry
an X-Request-Id in its `calls` table before handling them:

    X-Request-Id     an id for the unit of work (the worker sends the external
                     task id), so a retried request can be recognised
    X-Business-Key   the business transaction (the reservation)
    X-Caller         who is calling (the worker id)

`GET /calls` lists them (`?route=/blocks` narrows to one route), which is how the tests
check that no piece of work was done twice.

Command line: `--port` (default from the service's `<NAME>_PORT` variable,
else its well-known port; 0 picks a free one), `--db` (default from
`<NAME>_DB`, else `<name>.db` in the current directory), `--host`
(127.0.0.1). Once listening it prints exactly one line on stdout,
`<name> service listening on http://HOST:PORT`.
"""

import argparse
import contextlib
import os
import signal
import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.serving import make_server

CALLS_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    request_id TEXT,
    business_key TEXT,
    caller TEXT
);
"""


class Service:
    """A Flask app bound to one SQLite file."""

    def __init__(self, name, default_port, schema):
        self.name = name
        self.default_port = default_port
        self.schema = CALLS_SCHEMA + schema
        self.db_path = None
        self.arguments = []
        self.app = Flask(f"{name}-service")
        self.app.json.sort_keys = False
        self.app.teardown_appcontext(self._close)
        self.app.before_request(self._record_call)
        self.app.register_error_handler(HTTPException, self._http_error)
        self.app.add_url_rule("/health", "health", self._health)
        self.app.add_url_rule("/calls", "calls", self._calls)
        self.route = self.app.route

    def argument(self, *names, **options):
        """Adds a command-line option of this service (argparse's arguments)."""
        self.arguments.append((names, options))

    # The database: one connection per request, explicit transactions.

    def connect(self):
        connection = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA busy_timeout = 10000")
        return connection

    def db(self):
        if "db" not in g:
            g.db = self.connect()
        return g.db

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE: one writer at a time, so check-then-insert is safe."""
        db = self.db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _close(self, _error):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    # Routes every service has.

    def _health(self):
        self.db().execute("SELECT 1").fetchone()
        return jsonify(status="UP", service=self.name)

    def _calls(self):
        query = "SELECT * FROM calls"
        args = []
        if request.args.get("route"):
            query += " WHERE route = ?"
            args.append(request.args["route"])
        rows = self.db().execute(query + " ORDER BY id", args).fetchall()
        return jsonify([
            {"at": r["at"], "method": r["method"], "route": r["route"],
             "requestId": r["request_id"], "businessKey": r["business_key"],
             "caller": r["caller"]}
            for r in rows
        ])

    def _record_call(self):
        if request.endpoint in (None, "health", "calls", "static"):
            return
        if "X-Request-Id" not in request.headers:
            return
        with self.transaction() as db:
            db.execute(
                "INSERT INTO calls (at, method, route, request_id, business_key, caller) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now(), request.method, request.url_rule.rule,
                 request.headers.get("X-Request-Id"), request.headers.get("X-Business-Key"),
                 request.headers.get("X-Caller")),
            )

    @staticmethod
    def _http_error(error):
        return jsonify(error=error.name, message=error.description), error.code

    # Running.

    def main(self, argv=None):
        upper = self.name.upper()
        parser = argparse.ArgumentParser(description=f"The hotel's {self.name} service.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int,
                            default=int(os.environ.get(f"{upper}_PORT", self.default_port)))
        parser.add_argument("--db", default=os.environ.get(f"{upper}_DB", f"{self.name}.db"))
        for names, options in self.arguments:
            parser.add_argument(*names, **options)
        args = parser.parse_args(argv)
        self.db_path = args.db
        with contextlib.closing(self.connect()) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.executescript(self.schema)
        self.setup(args)

        server = make_server(args.host, args.port, self.app, threaded=True)
        # SIGTERM stops the server loop; the requests in flight finish first.
        signal.signal(signal.SIGTERM,
                      lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
        print(f"{self.name} service listening on http://{args.host}:{server.server_port}",
              flush=True)
        server.serve_forever()

    def setup(self, args):
        """Seeds the database; services override it."""


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def body(*required):
    """The request's JSON object; 400 unless it has every field in `required`."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object")
    missing = [name for name in required if data.get(name) in (None, "")]
    if missing:
        raise BadRequest(f"missing {', '.join(missing)}")
    return data


def parse_date(value, field):
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{field} is not a date (YYYY-MM-DD): {value!r}") from None


def nights(check_in, check_out):
    """The nights of a stay, as ISO dates: check-in night up to the last night."""
    start = parse_date(check_in, "checkIn")
    end = parse_date(check_out, "checkOut")
    if end <= start:
        raise BadRequest("checkOut must be after checkIn")
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days)]
