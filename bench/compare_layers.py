#!/usr/bin/env python3
"""Kiln bench: compares the TensorRT layers of Kiln's engine and the ONNX->TensorRT engine of one model.

Reads the engine inspector JSON files the bench writes (layers.tgz from $OUT, unpacked: layers/NAME_bB-PEER.json)
and prints, for each model, batch and precision with both engines, the layer counts side by side, what kind
of layers each has (by the words TensorRT puts in fused layer names), and the layers only one side needs:
reformat copies, casts, shuffles and Myelin regions. Engines built with detailed layer information (the bench
builds both so) also name each layer's kernel: the kernels one engine runs more often than the other are listed.
Standard library only; runs anywhere.

Usage:
  tar -xzf layers.tgz && python3 bench/compare_layers.py layers [--only resnet50_b1] [--precision fp16] [--names 20]
"""
import argparse
import json
import os
import re
import sys

# what a fused layer's name says about what it does; first match wins, in this order
KINDS = [
    ("myelin", re.compile(r"ForeignNode|\{Foreign", re.I)),
    ("reformat", re.compile(r"Reformatting CopyNode|reformat", re.I)),
    ("conv", re.compile(r"conv", re.I)),
    ("matmul", re.compile(r"matmul|gemm|linear|addmm|bmm|MatMul", re.I)),
    ("attention", re.compile(r"sdpa|scaled_dot_product|attention|softmax", re.I)),
    ("norm", re.compile(r"norm", re.I)),
    ("pool", re.compile(r"pool|mean", re.I)),
    ("cast", re.compile(r"cast|_to_copy|\bto\b", re.I)),
    ("shuffle", re.compile(r"shuffle|reshape|view|permute|transpose|flatten|unsqueeze|squeeze|expand|Reshape|Transpose", re.I)),
    ("elementwise", re.compile(r"add|mul|sub|div|relu|gelu|silu|sigmoid|hardswish|tanh|pow|sqrt|erf", re.I)),
    ("gather", re.compile(r"gather|embedding|index|slice|select|concat|cat\b", re.I)),
]


def layers(path):
    """The engine inspector's layer list: names (strings), or objects with Name (and TacticName when detailed)."""
    with open(path) as f:
        return json.load(f).get("Layers", [])


def layer_names(layer_list):
    return [layer if isinstance(layer, str) else layer.get("Name", "") for layer in layer_list]


def tactics(layer_list):
    """How many layers run each kernel (TacticName), for engines built with detailed layer information; else {}."""
    out = {}
    for layer in layer_list:
        if isinstance(layer, dict) and layer.get("TacticName"):
            t = layer["TacticName"]
            out[t] = out.get(t, 0) + 1
    return out


def kind(name):
    for k, rx in KINDS:
        if rx.search(name):
            return k
    return "other"


def summary(names):
    kinds = {}
    for n in names:
        k = kind(n)
        kinds[k] = kinds.get(k, 0) + 1
    return {"layers": len(names), "fused": sum(" + " in n for n in names), "kinds": kinds}


def pairs(folder, only, precision):
    """(title, kiln file, onnx file) for every model/batch/precision that has both engines."""
    files = sorted(os.listdir(folder))
    out = []
    for f in files:
        m = re.match(r"(.+)-kiln-(fp16|fp32)\.json$", f)
        if not m:
            continue
        key, prec = m.group(1), m.group(2)
        if (only and key not in only) or (precision and prec != precision):
            continue
        onnx = f"{key}-onnx-trt-{prec}.json"
        if onnx in files:
            out.append((f"{key} {prec}", os.path.join(folder, f), os.path.join(folder, onnx)))
    return out


def compare(title, kiln_file, onnx_file, names_limit):
    k_layers, o_layers = layers(kiln_file), layers(onnx_file)
    k_names, o_names = layer_names(k_layers), layer_names(o_layers)
    k, o = summary(k_names), summary(o_names)
    lines = [f"## {title}", "", "| | Kiln | ONNX->TRT |", "|---|---:|---:|",
             f"| layers | {k['layers']} | {o['layers']} |", f"| fused (' + ') | {k['fused']} | {o['fused']} |"]
    for kd in [x for x, _ in KINDS] + ["other"]:
        a, b = k["kinds"].get(kd, 0), o["kinds"].get(kd, 0)
        if a or b:
            lines.append(f"| {kd} | {a} | {b} |")
    for side, names in (("Kiln", k_names), ("ONNX->TRT", o_names)):
        extra = [n for n in names if kind(n) in ("reformat", "cast", "shuffle", "myelin")]
        if extra:
            lines.append("")
            lines.append(f"{side}: {len(extra)} reformat/cast/shuffle/Myelin layers"
                         + (f" (first {names_limit})" if len(extra) > names_limit else "") + ":")
            lines.extend(f"  - {n[:160]}" for n in extra[:names_limit])
    kt, ot = tactics(k_layers), tactics(o_layers)
    if kt or ot:
        diff = sorted((t for t in set(kt) | set(ot) if kt.get(t, 0) != ot.get(t, 0)),
                      key=lambda t: (-abs(kt.get(t, 0) - ot.get(t, 0)), t))
        lines.append("")
        lines.append(f"Kernels (TacticName): Kiln {len(kt)} distinct in {sum(kt.values())} layers, ONNX->TRT {len(ot)} in "
                     f"{sum(ot.values())}; {len(diff)} used a different number of times"
                     + (f" (first {names_limit})" if len(diff) > names_limit else "") + (":" if diff else "."))
        if diff:
            lines.append("")
            lines.append("| kernel | Kiln | ONNX->TRT |")
            lines.append("|---|---:|---:|")
            lines.extend(f"| {t[:120]} | {kt.get(t, 0)} | {ot.get(t, 0)} |" for t in diff[:names_limit])
    lines.append("")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", help="the unpacked layers/ folder")
    ap.add_argument("--only", default="", help="comma-separated NAME_bB keys, e.g. resnet50_b1,bert_base_b16")
    ap.add_argument("--precision", default="", choices=["", "fp16", "fp32"])
    ap.add_argument("--names", type=int, default=15, help="how many layer names to list per side")
    a = ap.parse_args(argv)
    only = [x for x in a.only.split(",") if x]
    found = pairs(a.folder, only, a.precision)
    if not found:
        print(f"no Kiln/ONNX engine pairs in {a.folder}", file=sys.stderr)
        return 1
    for title, kf, of in found:
        print(compare(title, kf, of, a.names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
