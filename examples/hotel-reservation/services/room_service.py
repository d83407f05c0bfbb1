"""The room service (port 5002): the hotel's rooms and which nights they are
blocked.

    GET  /availability?checkIn=&checkOut=
                      {available, freeRooms}: rooms free for every night
    POST /blocks      {reservationId, checkIn, checkOut} -> 201 with the room
                      blocked for those nights; 200 with the same room when the
                      reservation already holds one (a repeated call blocks
                      nothing more); 409 when no room is free
    GET  /blocks      every reservation's room and nights
    GET  /rooms       the rooms

The hotel has `--rooms` rooms (default 5: 101 to 105). The nights given with
`--sold-out` (comma-separated, default 2026-12-31, from ROOM_SOLD_OUT) are
fully booked by the house before anyone asks: the "no room" case of the demo.

Run: `python services/room_service.py [--port 5002] [--db room.db]`.
"""

import os
import sys

from flask import jsonify, request
from werkzeug.exceptions import Conflict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Service, body, nights, now  # noqa: E402

service = Service("room", 5002, """
CREATE TABLE IF NOT EXISTS rooms (number TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS blocks (
    room TEXT NOT NULL REFERENCES rooms (number),
    night TEXT NOT NULL,
    reservation_id TEXT NOT NULL,
    blocked_at TEXT NOT NULL,
    PRIMARY KEY (room, night)
);
CREATE INDEX IF NOT EXISTS blocks_by_reservation ON blocks (reservation_id);
""")


def free_rooms(db, stay):
    marks = ",".join("?" * len(stay))
    return [row["number"] for row in db.execute(
        f"SELECT number FROM rooms WHERE number NOT IN "
        f"(SELECT room FROM blocks WHERE night IN ({marks})) ORDER BY number", stay)]


@service.route("/availability", methods=["GET"])
def availability():
    stay = nights(request.args.get("checkIn"), request.args.get("checkOut"))
    free = free_rooms(service.db(), stay)
    return jsonify(available=bool(free), freeRooms=len(free), nights=len(stay))


@service.route("/blocks", methods=["POST"])
def block_room():
    data = body("reservationId", "checkIn", "checkOut")
    stay = nights(data["checkIn"], data["checkOut"])
    with service.transaction() as db:
        held = db.execute("SELECT room FROM blocks WHERE reservation_id = ? LIMIT 1",
                          (data["reservationId"],)).fetchone()
        if held is not None:
            return jsonify(reservationId=data["reservationId"], roomNumber=held["room"]), 200
        free = free_rooms(db, stay)
        if not free:
            raise Conflict(f"no room is free from {data['checkIn']} to {data['checkOut']}")
        at = now()
        db.executemany(
            "INSERT INTO blocks (room, night, reservation_id, blocked_at) VALUES (?, ?, ?, ?)",
            [(free[0], night, data["reservationId"], at) for night in stay],
        )
        return jsonify(reservationId=data["reservationId"], roomNumber=free[0]), 201


@service.route("/blocks", methods=["GET"])
def list_blocks():
    rows = service.db().execute(
        "SELECT reservation_id, room, MIN(night) AS first, MAX(night) AS last, COUNT(*) AS n "
        "FROM blocks GROUP BY reservation_id, room ORDER BY MIN(blocked_at), reservation_id"
    ).fetchall()
    return jsonify([{"reservationId": r["reservation_id"], "roomNumber": r["room"],
                     "firstNight": r["first"], "lastNight": r["last"], "nights": r["n"]}
                    for r in rows])


@service.route("/rooms", methods=["GET"])
def list_rooms():
    rows = service.db().execute("SELECT number FROM rooms ORDER BY number").fetchall()
    return jsonify([row["number"] for row in rows])


service.argument("--rooms", type=int, default=int(os.environ.get("ROOM_COUNT", "5")),
                 help="how many rooms the hotel has (ROOM_COUNT)")
service.argument("--sold-out", default=os.environ.get("ROOM_SOLD_OUT", "2026-12-31"),
                 help="nights fully booked from the start, comma-separated (ROOM_SOLD_OUT)")


def setup(args):
    """The rooms, and the house's blocks on the sold-out nights."""
    db = service.connect()
    db.execute("BEGIN IMMEDIATE")
    if db.execute("SELECT COUNT(*) FROM rooms").fetchone()[0] == 0:
        db.executemany("INSERT INTO rooms (number) VALUES (?)",
                       [(str(101 + n),) for n in range(args.rooms)])
    rooms = [row[0] for row in db.execute("SELECT number FROM rooms")]
    for night in filter(None, (n.strip() for n in args.sold_out.split(","))):
        db.executemany(
            "INSERT OR IGNORE INTO blocks (room, night, reservation_id, blocked_at) "
            "VALUES (?, ?, ?, ?)",
            [(room, night, f"house-{night}", now()) for room in rooms],
        )
    db.execute("COMMIT")
    db.close()


service.setup = setup

if __name__ == "__main__":
    service.main()
