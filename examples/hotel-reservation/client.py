"""Makes the demo's five reservations through Baton's REST API and prints how
each one ended, from the history API.

    POST /process-definition/key/HotelReservationProcess/start
                                        one instance per reservation, its
                                        business key the reservation id
    GET  /history/process-instance/{id} until it is no longer ACTIVE
    GET  /incident?processInstanceId=   shown while an instance waits on one
    GET  /history/activity-instance     which end event it reached
    GET  /history/variable-instance     the booking, room, table, client

The five: two guests who get a room (one with a restaurant table), a request
with a broken e-mail address (rejected by validate-input), a stay over the
sold-out New Year's Eve (no room), and the first guest coming back (found by
the client service instead of created). The first four run at once; the
returning guest starts once they are done, so her client exists.

Usage: python client.py [--baton URL] [--prefix PREFIX] [--timeout SECONDS]
The business keys are PREFIX-1 to PREFIX-5 (default prefix: res-HHMMSS).
Exits 1 if an instance has not ended within the timeout.
"""

import argparse
import os
import sys
import time

import requests

RESERVATIONS = [
    {"guestName": "Ada Lovelace", "email": "ada@example.com", "checkIn": "2026-10-01",
     "checkOut": "2026-10-03", "guests": 2, "restaurant": True},
    {"guestName": "Grace Hopper", "email": "grace@example.com", "checkIn": "2026-10-02",
     "checkOut": "2026-10-05", "guests": 1, "restaurant": False},
    {"guestName": "Alan Turing", "email": "alan.example.com", "checkIn": "2026-10-02",
     "checkOut": "2026-10-04", "guests": 1, "restaurant": False},
    {"guestName": "Katherine Johnson", "email": "katherine@example.com",
     "checkIn": "2026-12-30", "checkOut": "2027-01-02", "guests": 2, "restaurant": True},
    {"guestName": "Ada Lovelace", "email": "ada@example.com", "checkIn": "2026-11-10",
     "checkOut": "2026-11-12", "guests": 2, "restaurant": True},
]
TYPES = {bool: "Boolean", int: "Integer", str: "String"}


class Baton:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def get(self, path, **params):
        response = self.http.get(self.url + path, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def start(self, business_key, reservation):
        response = self.http.post(
            f"{self.url}/process-definition/key/HotelReservationProcess/start", timeout=10,
            json={"businessKey": business_key,
                  "variables": {name: {"value": value, "type": TYPES[type(value)]}
                                for name, value in reservation.items()}})
        response.raise_for_status()
        return response.json()["id"]

    def wait(self, instances, deadline):
        """Waits until no instance is ACTIVE; tells of incidents meanwhile."""
        reported = set()
        while True:
            active = [i for i in instances
                      if self.get(f"/history/process-instance/{i}")["state"] == "ACTIVE"]
            if not active:
                return True
            for instance in active:
                for incident in self.get("/incident", processInstanceId=instance):
                    if incident["id"] not in reported:
                        reported.add(incident["id"])
                        print(f"  waiting: incident on {incident['activityId']}: "
                              f"{incident['incidentMessage']} (PUT /external-task/"
                              f"{incident['configuration']}/retries to retry)", flush=True)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.25)

    def outcome(self, instance):
        history = self.get(f"/history/process-instance/{instance}")
        ends = [a["activityName"] or a["activityId"]
                for a in self.get("/history/activity-instance", processInstanceId=instance)
                if a["activityType"].endswith("EndEvent") and a["endTime"]]
        variables = {v["name"]: v["value"]
                     for v in self.get("/history/variable-instance", processInstanceId=instance)}
        return history["state"], ends, variables


def describe(state, ends, v):
    if state == "ACTIVE":
        return "still running"
    end = ", ".join(ends) or state
    if "bookingId" in v:
        table = f", table {v['tableNumber']}" if v.get("tableNumber") else ""
        client = "returning client" if v.get("returningClient") else "new client"
        return (f"{end}: booking {v['bookingId']}, room {v['roomNumber']}{table}, "
                f"client {v['client_id']} ({client})")
    if "rejectionReason" in v:
        return f"{end}: {v['rejectionReason']}"
    if v.get("roomAvailable") is False:
        return f"{end}: {v.get('freeRooms', 0)} rooms free for those nights"
    return end


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baton", default=os.environ.get(
        "BATON_URL", "http://127.0.0.1:8080/engine-rest"))
    parser.add_argument("--prefix", default=time.strftime("res-%H%M%S"))
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    baton = Baton(args.baton)
    deadline = time.monotonic() + args.timeout

    started = []
    for batch in (RESERVATIONS[:4], RESERVATIONS[4:]):
        ids = []
        for reservation in batch:
            key = f"{args.prefix}-{len(started) + 1}"
            instance = baton.start(key, reservation)
            print(f"{key}: started {instance} for {reservation['guestName']} "
                  f"<{reservation['email']}>, {reservation['checkIn']} to "
                  f"{reservation['checkOut']}{', with a table' if reservation['restaurant'] else ''}",
                  flush=True)
            started.append((key, instance))
            ids.append(instance)
        finished = baton.wait(ids, deadline)
        if not finished:
            break

    print("\nOutcomes (from /history):")
    all_ended = True
    for key, instance in started:
        state, ends, variables = baton.outcome(instance)
        all_ended &= state != "ACTIVE"
        print(f"  {key}: {describe(state, ends, variables)}")
    if not all_ended or len(started) < len(RESERVATIONS):
        print(f"Not every reservation ended within {args.timeout:g} s.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
