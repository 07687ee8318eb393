"""Round trips, mutations and the encoder's refusals, with a seeded generator."""
import random
import unittest

from presence_client import protocol
from presence_client.protocol import HEARTBEAT, OFFLINE, MalformedFrame, Record
from presence_client.udp import Device, Gateway, parse_target


def _random_record(rng: random.Random, signed: bool) -> Record:
    return Record(rng.randint(1, 2**64 - 1), rng.randint(1 if signed else 0, 2**32 - 1), rng.randint(0, 65535),
                  rng.choice((HEARTBEAT, OFFLINE)), rng.randint(0, 255) if signed else 0)


class RoundTripTests(unittest.TestCase):
    def test_random_frames_round_trip_and_a_flipped_bit_is_caught(self):
        rng = random.Random(0x5EED)
        for round_ in range(400):
            signed = round_ % 2 == 1
            count = rng.randint(1, protocol.MAX_UDP_SIGNED_RECORDS if signed else protocol.MAX_UDP_UNSIGNED_RECORDS)
            records = [_random_record(rng, signed) for _ in range(count)]
            keys = [rng.randbytes(32) for _ in range(count)] if signed else None
            frame = protocol.encode(records, keys)
            self.assertLessEqual(len(frame), protocol.MAX_UDP_FRAME)
            self.assertEqual(protocol.decode(frame), records)
            if signed:
                self.assertTrue(all(protocol.verify(frame, i, k) for i, k in enumerate(keys)))
                bit = rng.randrange(len(frame) * 8)
                flipped = bytearray(frame)
                flipped[bit // 8] ^= 1 << (bit % 8)
                try:
                    protocol.decode(bytes(flipped))
                    caught = not all(protocol.verify(bytes(flipped), i, k) for i, k in enumerate(keys))
                except MalformedFrame:
                    caught = True
                self.assertTrue(caught, f"bit {bit} of a {count}-record frame flipped unnoticed")

    def test_random_bytes_never_raise_anything_but_malformed(self):
        rng = random.Random(7)
        for _ in range(3000):
            data = rng.randbytes(rng.randrange(0, 200))
            if len(data) >= 6 and rng.random() < 0.5:
                data = b"PH\x01" + bytes([rng.randrange(2)]) + data[4:]
            try:
                records = protocol.decode(data)
                self.assertEqual(len(data), protocol.frame_size(len(records), bool(data[3] & 1)))
            except MalformedFrame:
                pass

    def test_encoder_refuses_what_the_protocol_forbids(self):
        key = bytes(32)
        cases = [
            (Record(0), None, "user id 0"),
            (Record(1, kind=2), None, "kind 2"),
            (Record(1, key_id=3), None, "key id 3"),
            (Record(1, time=0), key, "needs a time"),
            (Record(1, seq=70000), None, "seq 70000"),
        ]
        for record, k, message in cases:
            with self.subTest(message):
                with self.assertRaisesRegex(MalformedFrame, message):
                    protocol.encode([record], k)
        with self.assertRaises(ValueError):
            protocol.encode([])


class DeviceTests(unittest.TestCase):
    def test_device_counts_seq_and_wraps(self):
        device = Device(42, bytes(range(32)), key_id=7, seq=65535)
        first = protocol.decode(device.build(HEARTBEAT, 1764270000))[0]
        second = protocol.decode(device.build(OFFLINE, 1764270001))[0]
        self.assertEqual((first.seq, first.key_id, first.kind), (65535, 7, HEARTBEAT))
        self.assertEqual((second.seq, second.kind), (0, OFFLINE))

    def test_unsigned_device_with_key_id_is_refused(self):
        with self.assertRaises(ValueError):
            Device(42, None, key_id=1)

    def test_gateway_packs_45_signed_records_a_frame(self):
        sent = []

        class Capture:
            def send(self, frame):
                sent.append(frame)

        masters = {1: bytes(range(32))}
        gateway = Gateway(Capture(), masters)  # type: ignore[arg-type]
        records = [Record(i, 1764270000, 1, HEARTBEAT, 1) for i in range(1, 101)]
        self.assertEqual(gateway.send(records), 3)
        self.assertEqual([len(protocol.decode(f)) for f in sent], [45, 45, 10])
        frame = sent[2]
        self.assertTrue(protocol.verify(frame, 0, protocol.derive_device_key(masters[1], 91)))

    def test_parse_target(self):
        self.assertEqual(parse_target("[::1]:7700"), ("::1", 7700))
        self.assertEqual(parse_target("127.0.0.1:9"), ("127.0.0.1", 9))
        for bad in ("127.0.0.1", "host:0", ":7700", "h:x"):
            with self.subTest(bad):
                with self.assertRaises(ValueError):
                    parse_target(bad)


if __name__ == "__main__":
    unittest.main()
