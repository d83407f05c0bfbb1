"""The client service (port 5004): the hotel's guests, known by e-mail.

    GET  /clients?email=   the clients with that e-mail (a list of 0 or 1)
    POST /clients          {email, name} -> 201 with the new client; 200 with
                           the existing one when the e-mail is known already,
                           so creating twice yields one client
    GET  /clients/<id>     one client, or 404

Run: `python services/client_service.py [--port 5004] [--db client.db]`.
"""

import os
import sys

from flask import jsonify, request
from werkzeug.exceptions import BadRequest, NotFound

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Service, body, now  # noqa: E402

service = Service("client", 5004, """
CREATE TABLE IF NOT EXISTS clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);
""")


def client_json(row):
    return {"clientId": f"C-{row['id']:04d}", "email": row["email"], "name": row["name"],
            "createdAt": row["created_at"]}


def by_email(db, email):
    return db.execute("SELECT * FROM clients WHERE email = ?", (email.lower(),)).fetchone()


@service.route("/clients", methods=["GET"])
def search_clients():
    email = request.args.get("email")
    if email:
        row = by_email(service.db(), email)
        rows = [] if row is None else [row]
    else:
        rows = service.db().execute("SELECT * FROM clients ORDER BY id").fetchall()
    return jsonify([client_json(row) for row in rows])


@service.route("/clients", methods=["POST"])
def create_client():
    data = body("email", "name")
    if "@" not in data["email"]:
        raise BadRequest("email is not an e-mail address")
    with service.transaction() as db:
        existing = by_email(db, data["email"])
        if existing is not None:
            return jsonify(client_json(existing)), 200
        db.execute("INSERT INTO clients (email, name, created_at) VALUES (?, ?, ?)",
                   (data["email"].lower(), data["name"], now()))
        return jsonify(client_json(by_email(db, data["email"]))), 201


@service.route("/clients/<client_id>", methods=["GET"])
def get_client(client_id):
    number = client_id.removeprefix("C-")
    row = None
    if number.isdigit():
        row = service.db().execute("SELECT * FROM clients WHERE id = ?",
                                   (int(number),)).fetchone()
    if row is None:
        raise NotFound(f"no client {client_id}")
    return jsonify(client_json(row))


if __name__ == "__main__":
    service.main()
