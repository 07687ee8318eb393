"""Every entry of docs/vectors.json, byte for byte."""
import unittest

from presence_client import protocol
from presence_client.protocol import MalformedFrame, Record

from . import vectors

V = vectors.load()
MASTERS = {int(k): bytes.fromhex(v) for k, v in V["master_keys_hex"].items()}


def _record(r) -> Record:
    return Record(int(r["user_id"]), r["time"], r["seq"], r["kind"], r["key_id"])


class VectorTests(unittest.TestCase):
    def test_sections_present(self):
        for section in ("valid", "device_keys", "invalid", "bad_tag"):
            self.assertTrue(V[section], section)

    def test_valid_encode_byte_for_byte(self):
        for v in V["valid"]:
            with self.subTest(v["name"]):
                records = [_record(r) for r in v["records"]]
                keys = (lambda r: protocol.derive_device_key(MASTERS[r.key_id], r.user_id)) if v["signed"] else None
                self.assertEqual(protocol.encode(records, keys).hex(), v["hex"])

    def test_valid_decode_and_verify(self):
        for v in V["valid"]:
            with self.subTest(v["name"]):
                frame = bytes.fromhex(v["hex"])
                records = protocol.decode(frame)
                self.assertEqual(records, [_record(r) for r in v["records"]])
                for i, r in enumerate(records):
                    if v["signed"]:
                        self.assertTrue(protocol.verify(frame, i, protocol.derive_device_key(MASTERS[r.key_id], r.user_id)))

    def test_device_keys(self):
        for v in V["device_keys"]:
            with self.subTest(f"key {v['key_id']} user {v['user_id']}"):
                self.assertEqual(protocol.derive_device_key(MASTERS[v["key_id"]], int(v["user_id"])).hex(), v["hex"])

    def test_invalid_frames_refused(self):
        for v in V["invalid"]:
            with self.subTest(v["name"]):
                with self.assertRaises(MalformedFrame):
                    protocol.decode(bytes.fromhex(v["hex"]))

    def test_bad_tags_fail(self):
        for v in V["bad_tag"]:
            with self.subTest(v["name"]):
                frame = bytes.fromhex(v["hex"])
                records = protocol.decode(frame)
                verified = [protocol.verify(frame, i, protocol.derive_device_key(MASTERS[r.key_id], r.user_id))
                            for i, r in enumerate(records)]
                self.assertIn(False, verified)


if __name__ == "__main__":
    unittest.main()
