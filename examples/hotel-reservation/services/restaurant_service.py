"""The restaurant service (port 5003): tables reserved for hotel guests, one
per reservation and evening.

    POST /reservations  {reservationId, date, guests} -> 201 with the table;
                        200 with the same table when the reservation already
                        has one; 409 when every table is taken that evening
    GET  /reservations  every table reservation

The restaurant has `--tables` tables (default 10, from RESTAURANT_TABLES).

Run: `python services/restaurant_service.py [--port 5003] [--db restaurant.db]`.
"""

import os
import sys

from flask import jsonify
from werkzeug.exceptions import BadRequest, Conflict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Service, body, now, parse_date  # noqa: E402

service = Service("restaurant", 5003, """
CREATE TABLE IF NOT EXISTS reservations (
    reservation_id TEXT PRIMARY KEY,
    evening TEXT NOT NULL,
    table_number INTEGER NOT NULL,
    guests INTEGER NOT NULL,
    reserved_at TEXT NOT NULL,
    UNIQUE (evening, table_number)
);
""")
service.argument("--tables", type=int, default=int(os.environ.get("RESTAURANT_TABLES", "10")),
                 help="how many tables the restaurant has (RESTAURANT_TABLES)")
tables = 10


def reservation_json(row):
    return {"reservationId": row["reservation_id"], "date": row["evening"],
            "tableNumber": row["table_number"], "guests": row["guests"],
            "reservedAt": row["reserved_at"]}


def find(db, reservation_id):
    return db.execute("SELECT * FROM reservations WHERE reservation_id = ?",
                      (reservation_id,)).fetchone()


@service.route("/reservations", methods=["POST"])
def reserve_table():
    data = body("reservationId", "date")
    evening = parse_date(data["date"], "date").isoformat()
    guests = data.get("guests", 2)
    if not isinstance(guests, int) or guests < 1:
        raise BadRequest("guests must be a positive number")
    with service.transaction() as db:
        existing = find(db, data["reservationId"])
        if existing is not None:
            return jsonify(reservation_json(existing)), 200
        taken = {row[0] for row in db.execute(
            "SELECT table_number FROM reservations WHERE evening = ?", (evening,))}
        free = [n for n in range(1, tables + 1) if n not in taken]
        if not free:
            raise Conflict(f"every table is taken on {evening}")
        db.execute(
            "INSERT INTO reservations (reservation_id, evening, table_number, guests, reserved_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (data["reservationId"], evening, free[0], guests, now()),
        )
        return jsonify(reservation_json(find(db, data["reservationId"]))), 201


@service.route("/reservations", methods=["GET"])
def list_reservations():
    rows = service.db().execute("SELECT * FROM reservations ORDER BY reserved_at").fetchall()
    return jsonify([reservation_json(row) for row in rows])


def setup(args):
    global tables
    tables = args.tables


service.setup = setup

if __name__ == "__main__":
    service.main()
