#!/usr/bin/env python3
"""Exports the real-world models Kiln's GPU tests compile, with seeded random weights (no downloads).

For each model NAME it writes into OUTDIR:
  NAME.pt2        torch.export.save of torch.export.export(...)          (training IR)
  NAME.core.pt2   torch.export.save of the same after run_decompositions()  (core ATen IR)
  NAME.npz        seeded inputs x0, x1, ... and eager FP32 outputs y0, y1, ... (computed on the CPU, so
                  no TF32 creeps into the reference)
and OUTDIR/manifest.json with shapes, dtypes and each program's op histogram.

Models: resnet50, efficientnet_b0, mobilenet_v3_large, vit_b_16 (torchvision, weights=None) and
bert_base (transformers BertModel, a BertConfig built locally, sequence length 128) and gpt2_blocks
(GPT-2 small without the LM head, written here: embeddings, 12 pre-LayerNorm decoder blocks with causal
SDPA and a GELU(tanh) MLP, final LayerNorm; token ids of length 128).

Usage (on the GPU machine: torch 2.11, torchvision, transformers; no network needed):
  python3 tools/gpu/export_models.py OUTDIR [--only resnet50,bert_base] [--batch 1] [--dynamic-batch 32]
Then run the GPU tests with -Dkiln.models.dir=OUTDIR (or KILN_MODELS_DIR=OUTDIR).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

MODELS = ["resnet50", "efficientnet_b0", "mobilenet_v3_large", "vit_b_16", "bert_base", "gpt2_blocks"]
SEQ_LEN = 128


def randomize_norm_stats(model, seed=1):
    """Fresh BatchNorm statistics are 0/1, which would hide mistakes in folding; give them real values."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)


class BertWrapper(nn.Module):
    """BertModel returning a plain tuple (last hidden state, pooled output) from input_ids alone."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids):
        out = self.bert(input_ids=input_ids, return_dict=True)
        return out.last_hidden_state, out.pooler_output


def randomize_zero_init_heads(model, seed=2):
    """torchvision zero-initializes some classifier heads (ViT's): the model then outputs only its bias
    and any comparison of outputs is vacuous. Give every all-zero Linear weight random values."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Linear) and not m.weight.detach().any():
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * 0.02)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.02)


def _gpt_classes():
    import torch.nn.functional as F

    class Block(nn.Module):
        """A GPT-2 decoder block: pre-LayerNorm causal self-attention and a GELU(tanh) MLP, with residuals."""

        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln_1 = nn.LayerNorm(d)
            self.c_attn = nn.Linear(d, 3 * d)
            self.c_proj = nn.Linear(d, d)
            self.ln_2 = nn.LayerNorm(d)
            self.c_fc = nn.Linear(d, 4 * d)
            self.c_out = nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
            q = q.view(b, t, self.heads, d // self.heads).transpose(1, 2)
            k = k.view(b, t, self.heads, d // self.heads).transpose(1, 2)
            v = v.view(b, t, self.heads, d // self.heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).reshape(b, t, d)
            x = x + self.c_proj(y)
            return x + self.c_out(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class Gpt(nn.Module):
        """GPT-2 small without the LM head: embeddings, 12 decoder blocks, final LayerNorm."""
        VOCAB = 50257

        def __init__(self, layers=12, d=768, heads=12, positions=1024):
            super().__init__()
            self.wte = nn.Embedding(self.VOCAB, d)
            self.wpe = nn.Embedding(positions, d)
            self.h = nn.ModuleList([Block(d, heads) for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            with torch.no_grad():  # GPT-2's init: N(0, 0.02) weights, so activations stay in a realistic range
                for m in self.modules():
                    if isinstance(m, (nn.Linear, nn.Embedding)):
                        m.weight.normal_(0.0, 0.02)
                    if isinstance(m, nn.Linear):
                        m.bias.zero_()

        def forward(self, ids):
            t = ids.shape[1]
            pos = torch.arange(t, device=ids.device)
            x = self.wte(ids) + self.wpe(pos)
            for blk in self.h:
                x = blk(x)
            return self.ln_f(x)

    return Gpt


def Gpt2Blocks():  # noqa: N802 - reads as a constructor
    return _gpt_classes()()


Gpt2Blocks.VOCAB = 50257


def build(name, batch):
    """(model, example inputs) for NAME; the weights are the same on every call (seeded here)."""
    torch.manual_seed(0)
    if name == "gpt2_blocks":
        gen = torch.Generator().manual_seed(1234)
        ids = torch.randint(0, Gpt2Blocks.VOCAB, (batch, SEQ_LEN), generator=gen, dtype=torch.int64)
        return Gpt2Blocks(), (ids,)
    if name == "bert_base":
        from transformers import BertConfig, BertModel
        cfg = BertConfig()  # bert-base-uncased's shape: 12 layers, hidden 768, 12 heads, vocab 30522
        bert, errors = None, []
        # SDPA attention (aten::scaled_dot_product_attention) where this transformers version lets us ask
        for make in (lambda: BertModel._from_config(cfg, attn_implementation="sdpa"), lambda: BertModel(cfg)):
            try:
                bert = make()
                break
            except Exception as e:  # noqa: BLE001 - try the next way of building it
                errors.append(repr(e))
        if bert is None:
            raise RuntimeError("cannot build BertModel: " + "; ".join(errors))
        gen = torch.Generator().manual_seed(1234)
        ids = torch.randint(0, cfg.vocab_size, (batch, 128), generator=gen, dtype=torch.int64)
        return BertWrapper(bert), (ids,)
    import torchvision
    ctor = getattr(torchvision.models, name)
    model = ctor(weights=None)
    randomize_norm_stats(model)
    randomize_zero_init_heads(model)
    gen = torch.Generator().manual_seed(1234)
    return model, (torch.randn(batch, 3, 224, 224, generator=gen),)


def as_tuple(y):
    return tuple(y) if isinstance(y, (tuple, list)) else (y,)


def histogram(ep):
    h = {}
    for n in ep.graph.nodes:
        if n.op == "call_function":
            k = str(n.target)
            h[k] = h.get(k, 0) + 1
    return dict(sorted(h.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--only", default="", help="comma-separated subset of " + ",".join(MODELS))
    ap.add_argument("--batch", type=int, default=1, help="batch size of the example inputs (default 1)")
    ap.add_argument("--dynamic-batch", type=int, default=0,
                    help="if N > 0, export dimension 0 as torch.export.Dim('batch', min=1, max=N)")
    a = ap.parse_args()
    only = [m for m in a.only.split(",") if m] or MODELS
    unknown = [m for m in only if m not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; choose from {MODELS}")
    os.makedirs(a.outdir, exist_ok=True)
    torch.set_grad_enabled(False)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    manifest_path = os.path.join(a.outdir, "manifest.json")
    manifest = {"torch_version": torch.__version__, "models": {}}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest["models"] = json.load(f).get("models", {})
    for name in only:
        t0 = time.time()
        torch.manual_seed(0)
        model, inputs = build(name, a.batch)
        model.eval()
        ys = as_tuple(model(*inputs))
        dyn = None
        if a.dynamic_batch > 0:
            from torch.export import Dim
            batch = Dim("batch", min=1, max=a.dynamic_batch)
            dyn = tuple({0: batch} for _ in inputs)
        ep = torch.export.export(model, inputs, dynamic_shapes=dyn)
        torch.export.save(ep, os.path.join(a.outdir, f"{name}.pt2"))
        core = ep.run_decompositions()
        torch.export.save(core, os.path.join(a.outdir, f"{name}.core.pt2"))
        arrays = {f"x{i}": t.contiguous().numpy() for i, t in enumerate(inputs)}
        arrays.update({f"y{i}": t.float().contiguous().numpy() for i, t in enumerate(ys)})
        np.savez(os.path.join(a.outdir, f"{name}.npz"), **arrays)
        manifest["models"][name] = {
            "files": {"export": f"{name}.pt2", "core": f"{name}.core.pt2", "io": f"{name}.npz"},
            "inputs": [{"dtype": str(t.dtype), "shape": list(t.shape)} for t in inputs],
            "outputs": [{"dtype": str(t.dtype), "shape": list(t.shape)} for t in ys],
            "dynamic_batch": a.dynamic_batch,
            "params": sum(p.numel() for p in model.parameters()),
            "ops_export": histogram(ep),
            "ops_core": histogram(core),
        }
        size = os.path.getsize(os.path.join(a.outdir, f"{name}.pt2")) / 2**20
        print(f"EXPORT-SUMMARY model={name} pt2_mib={size:.1f} outputs={[list(t.shape) for t in ys]} "
              f"seconds={time.time() - t0:.1f}", flush=True)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
