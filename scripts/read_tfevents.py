#!/usr/bin/env python3
"""Reads the TensorBoard event files ssa-train writes (log.tensorboard) without TensorFlow or
TensorBoard: standard library only.

    scripts/read_tfevents.py RUN_DIR/tensorboard            # the scalars TensorBoard shows
    scripts/read_tfevents.py --records RUN_DIR/tensorboard  # every event of every file

Prints JSON lines. The default view applies TensorBoard's restart rule: files are read in name
order, and a SessionLog START at step s drops every scalar logged so far at a step >= s. Every
record's length and data checksums (masked CRC-32C) are verified; a bad one is an error naming the
file and offset. An incomplete last record (a process killed while writing it) is skipped, as
TensorBoard does.
"""
import argparse
import json
import math
import os
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, at):
    value, shift = 0, 0
    while True:
        byte = buf[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7


def fields(buf):
    """(field number, wire type, value) of one protobuf message; value is int, bytes or raw fixed bytes."""
    at = 0
    while at < len(buf):
        key, at = varint(buf, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(buf, at)
        elif wire == 1:
            value, at = buf[at:at + 8], at + 8
        elif wire == 2:
            size, at = varint(buf, at)
            value, at = buf[at:at + size], at + size
        elif wire == 5:
            value, at = buf[at:at + 4], at + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield number, wire, value


def decode_event(payload):
    """Event (tensorboard/compat/proto/event.proto) as a dict: wall_time, step and one of
    file_version, scalars {tag: value}, session_log (status number)."""
    event = {"step": 0}
    for number, _, value in fields(payload):
        if number == 1:
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif number == 2:
            event["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 3:
            event["file_version"] = value.decode()
        elif number == 5:
            event["scalars"] = {}
            for _, _, summary_value in fields(value):
                tag, scalar = None, None
                for vnum, _, vval in fields(summary_value):
                    if vnum == 1:
                        tag = vval.decode()
                    elif vnum == 2:
                        scalar = struct.unpack("<f", vval)[0]
                event["scalars"][tag] = scalar
        elif number == 7:
            event["session_log"] = dict((n, v) for n, _, v in fields(value)).get(1, 0)
    return event


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        if at + 12 > len(data):
            break  # a record still being written, or cut by a kill: TensorBoard skips it too
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if masked(header) != length_crc:
            raise ValueError("%s: bad length checksum at byte %d" % (path, at))
        payload = data[at + 12:at + 12 + length]
        end = at + 12 + length
        if end + 4 > len(data):
            break
        (data_crc,) = struct.unpack("<I", data[end:end + 4])
        if masked(payload) != data_crc:
            raise ValueError("%s: bad data checksum at byte %d" % (path, at))
        yield payload
        at = end + 4


def event_files(directory):
    return sorted(os.path.join(directory, name) for name in os.listdir(directory) if "tfevents" in name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--records", action="store_true", help="print every event of every file")
    args = parser.parse_args()
    shown = {}  # (tag, step) -> value, after the restart rule
    try:
        for path in event_files(args.directory):
            for payload in records(path):
                event = decode_event(payload)
                if args.records:
                    print(json.dumps(dict(event, file=os.path.basename(path)), separators=(",", ":")))
                    continue
                if event.get("session_log") == 1:
                    shown = {key: v for key, v in shown.items() if key[1] < event["step"]}
                for tag, value in event.get("scalars", {}).items():
                    shown[(tag, event["step"])] = value
    except (OSError, ValueError, IndexError, struct.error) as e:
        sys.exit("read_tfevents.py: %s" % e)
    if not args.records:
        for (tag, step), value in sorted(shown.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            value = value if value is not None and math.isfinite(value) else None  # metrics.jsonl: null too
            print(json.dumps({"step": step, "tag": tag, "value": value}, separators=(",", ":")))


if __name__ == "__main__":
    main()
