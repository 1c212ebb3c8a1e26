"""Tests of bench/export_and_time.py without torch.

ExportOnnxTest needs nothing but Python (CI: cd bench && python3 -m unittest test_export_and_time.ExportOnnxTest);
OnnxProblemTest needs the onnx package, which the GPU machine has (tools/gpu/checks.sh runs the whole file there).
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_and_time as bench  # noqa: E402


class FakeExporters:
    """export= for export_onnx: writes each kind's name into the file, or raises for the kinds told to fail."""

    def __init__(self, failing=()):
        self.failing = set(failing)
        self.calls = []

    def __call__(self, kind, model, inputs, path, in_names, out_names):
        self.calls.append(kind)
        if kind in self.failing:
            raise RuntimeError(f"{kind} cannot export this")
        with open(path, "w") as f:
            f.write(kind)


def checker(invalid_kinds):
    """check= for export_onnx: a model written by one of invalid_kinds is invalid."""
    def check(path):
        with open(path) as f:
            kind = f.read()
        return f"{kind} wrote a float32 LayerNorm input with float16 weights" if kind in invalid_kinds else None
    return check


class ExportOnnxTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "m.fp16.onnx")

    def tearDown(self):
        self.dir.cleanup()

    def export(self, exporters, check, order="auto"):
        return bench.export_onnx(None, [], self.path, ["x0"], ["y0"], order, export=exporters, check=check)

    def written(self):
        with open(self.path) as f:
            return f.read()

    def test_a_valid_legacy_export_is_kept(self):
        ex = FakeExporters()
        self.assertEqual(self.export(ex, checker(())), "legacy")
        self.assertEqual(ex.calls, ["legacy"])
        self.assertEqual(self.written(), "legacy")

    def test_an_invalid_legacy_export_falls_back_to_dynamo(self):
        ex = FakeExporters()
        self.assertEqual(self.export(ex, checker({"legacy"})), "dynamo")
        self.assertEqual(ex.calls, ["legacy", "dynamo"])
        self.assertEqual(self.written(), "dynamo")
        self.assertEqual(os.listdir(self.dir.name), ["m.fp16.onnx"], "the invalid export is not left behind")

    def test_when_every_export_is_invalid_the_first_is_kept_and_the_reason_returned(self):
        got = self.export(FakeExporters(), checker({"legacy", "dynamo"}))
        self.assertTrue(got.startswith("legacy (invalid: "), got)
        self.assertIn("legacy wrote a float32 LayerNorm input", got)
        self.assertIn("dynamo wrote a float32 LayerNorm input", got)
        self.assertEqual(self.written(), "legacy")
        self.assertEqual(os.listdir(self.dir.name), ["m.fp16.onnx"])

    def test_an_invalid_export_is_kept_when_the_other_exporter_fails(self):
        got = self.export(FakeExporters(failing={"dynamo"}), checker({"legacy"}))
        self.assertTrue(got.startswith("legacy (invalid: "), got)
        self.assertIn("dynamo: RuntimeError: dynamo cannot export this", got)
        self.assertEqual(self.written(), "legacy")

    def test_when_every_exporter_fails_the_error_names_both(self):
        with self.assertRaises(RuntimeError) as e:
            self.export(FakeExporters(failing={"legacy", "dynamo"}), checker(()))
        self.assertIn("legacy: RuntimeError", str(e.exception))
        self.assertIn("dynamo: RuntimeError", str(e.exception))
        self.assertFalse(os.path.exists(self.path))

    def test_a_named_exporter_is_the_only_one_tried(self):
        ex = FakeExporters()
        got = self.export(ex, checker({"dynamo"}), order="dynamo")
        self.assertTrue(got.startswith("dynamo (invalid: "), got)
        self.assertEqual(ex.calls, ["dynamo"])


class OnnxProblemTest(unittest.TestCase):
    """The real checker on the pattern the legacy exporter wrote for BERT and the GPT-2 blocks in FP16 (H200,
    2026-12-05: TensorRT's parser refused '/m/h.0/ln_2/LayerNormalization: INormalizationLayer input and scale must
    have identical types')."""

    def model(self, x_type):
        import numpy as np
        from onnx import TensorProto, helper
        x = helper.make_tensor_value_info("x", x_type, [2, 4])
        y = helper.make_tensor_value_info("y", x_type, [2, 4])
        scale = helper.make_tensor("s", TensorProto.FLOAT16, [4], np.ones(4, np.float16).tobytes(), raw=True)
        bias = helper.make_tensor("b", TensorProto.FLOAT16, [4], np.zeros(4, np.float16).tobytes(), raw=True)
        ln = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1)
        graph = helper.make_graph([ln], "ln", [x], [y], [scale, bias])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    def check(self, x_type):
        import onnx
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ln.onnx")
            onnx.save(self.model(x_type), path)
            return bench.onnx_problem(path)

    def test_a_float32_input_with_float16_weights_is_invalid(self):
        from onnx import TensorProto
        problem = self.check(TensorProto.FLOAT)
        self.assertIsNotNone(problem)
        self.assertIn("LayerNormalization", problem)

    def test_all_float16_is_valid(self):
        from onnx import TensorProto
        self.assertIsNone(self.check(TensorProto.FLOAT16))


if __name__ == "__main__":
    unittest.main()
