"""The booking service (port 5001): the hotel's bookings, one per reservation.

    POST /bookings               {reservationId, clientId, roomNumber, checkIn,
                                  checkOut, tableNumber?} -> 201 with the new
                                  booking; 200 with the existing one when the
                                  reservation is already booked, so a worker
                                  may safely repeat the call
    GET  /bookings               every booking
    GET  /bookings/<reservation> one booking, or 404

Run: `python services/booking_service.py [--port 5001] [--db booking.db]`.
"""

import os
import sys

from flask import jsonify
from werkzeug.exceptions import NotFound

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Service, body, nights, now  # noqa: E402

service = Service("booking", 5001, """
CREATE TABLE IF NOT EXISTS bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reservation_id TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    room_number TEXT NOT NULL,
    check_in TEXT NOT NULL,
    check_out TEXT NOT NULL,
    table_number INTEGER,
    created_at TEXT NOT NULL
);
""")


def booking_json(row):
    return {
        "bookingId": f"B-{row['id']:04d}",
        "reservationId": row["reservation_id"],
        "clientId": row["client_id"],
        "roomNumber": row["room_number"],
        "checkIn": row["check_in"],
        "checkOut": row["check_out"],
        "tableNumber": row["table_number"],
        "createdAt": row["created_at"],
    }


def find(db, reservation_id):
    return db.execute("SELECT * FROM bookings WHERE reservation_id = ?",
                      (reservation_id,)).fetchone()


@service.route("/bookings", methods=["POST"])
def create_booking():
    data = body("reservationId", "clientId", "roomNumber", "checkIn", "checkOut")
    nights(data["checkIn"], data["checkOut"])
    with service.transaction() as db:
        existing = find(db, data["reservationId"])
        if existing is not None:
            return jsonify(booking_json(existing)), 200
        db.execute(
            "INSERT INTO bookings (reservation_id, client_id, room_number, check_in, check_out, "
            "table_number, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (data["reservationId"], data["clientId"], str(data["roomNumber"]), data["checkIn"],
             data["checkOut"], data.get("tableNumber"), now()),
        )
        return jsonify(booking_json(find(db, data["reservationId"]))), 201


@service.route("/bookings", methods=["GET"])
def list_bookings():
    rows = service.db().execute("SELECT * FROM bookings ORDER BY id").fetchall()
    return jsonify([booking_json(row) for row in rows])


@service.route("/bookings/<reservation_id>", methods=["GET"])
def get_booking(reservation_id):
    row = find(service.db(), reservation_id)
    if row is None:
        raise NotFound(f"no booking for reservation {reservation_id}")
    return jsonify(booking_json(row))


if __name__ == "__main__":
    service.main()
