"""Reads a calendar with Python's icalendar and prints what a client would take from it, as JSON.

Used by test/calendar-peers.test.ts so that our calendars are checked by a second, independent
parser. Usage: python3 read_ics.py FILE.ics
"""
import json
import sys

from icalendar import Calendar


def main(path):
    with open(path, 'rb') as f:
        cal = Calendar.from_ical(f.read())
    events = [c for c in cal.walk() if c.name == 'VEVENT']
    event = events[0]
    attendee = event.get('attendee')
    organizer = event.get('organizer')
    out = {
        'method': str(cal.get('method')),
        'uid': str(event.get('uid')),
        'sequence': int(event.get('sequence')),
        'summary': str(event.get('summary')),
        'start': event.decoded('dtstart').strftime('%Y-%m-%dT%H:%M:%S%z'),
        'end': event.decoded('dtend').strftime('%Y-%m-%dT%H:%M:%S%z'),
        'status': str(event.get('status')) if event.get('status') else None,
        'organizer': {'value': str(organizer), 'cn': str(organizer.params.get('CN'))} if organizer else None,
        'attendee': {'value': str(attendee), 'cn': str(attendee.params.get('CN')), 'rsvp': str(attendee.params.get('RSVP'))} if attendee else None,
        'description': str(event.get('description')) if event.get('description') else None,
        'location': str(event.get('location')) if event.get('location') else None,
    }
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == '__main__':
    main(sys.argv[1])
