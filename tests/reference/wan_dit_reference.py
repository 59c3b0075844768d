#!/usr/bin/python3
"""Independent reference of the Wan DiT forward pass (spec section 1), written from the spec
with PyTorch and computed in float64. Reads a model folder (config.json + official-name
safetensors, as kino's tests write them) and the inputs of `kino models run dit`
(x [B, C, T, H, W], t [B] or [B, L], context [B, N, text_dim]); writes v [B, C_out, T, H, W].

usage: wan_dit_reference.py --model DIR --in in.safetensors --out out.safetensors"""
import argparse
import glob
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

F = torch.float64


def load_model(folder):
    weights = {}
    files = [folder] if os.path.isfile(folder) else sorted(
        glob.glob(os.path.join(folder, "*.safetensors")))
    for path in files:
        for k, v in safetensors_lite.load(path).items():
            if k.startswith("model.diffusion_model."):
                k = k[len("model.diffusion_model."):]
            weights[k] = v.to(F)
    cfg = {}
    cfg_path = os.path.join(folder, "config.json")
    if os.path.isdir(folder) and os.path.exists(cfg_path):
        with open(cfg_path) as f:
            cfg = json.load(f)
    dim = weights["head.modulation"].shape[-1]
    cfg.setdefault("num_heads", dim // 128)
    cfg.setdefault("text_len", 512)
    cfg.setdefault("eps", 1e-6)
    cfg["dim"] = dim
    cfg["num_layers"] = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("blocks."))
    cfg["patch"] = tuple(weights["patch_embedding.weight"].shape[2:])
    cfg["out_dim"] = weights["head.head.weight"].shape[0] // math.prod(cfg["patch"])
    return weights, cfg


def linear(x, w, name):
    return x @ w[name + ".weight"].t() + w[name + ".bias"]


def layer_norm(x, eps, weight=None, bias=None):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    y = (x - mu) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight + bias
    return y


def rms_norm(x, weight, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def rope_freqs(head_dim, f, h, w):
    """Complex rotations [L, head_dim/2] for a (f, h, w) grid: axes split d - 4(d//6), 2(d//6),
    2(d//6); theta 10000; integer positions from 0; interleaved pairs."""
    d_h = 2 * (head_dim // 6)
    d_t = head_dim - 2 * d_h

    def axis(n, d):
        inv = 1.0 / (10000.0 ** (torch.arange(0, d, 2, dtype=F) / d))
        return torch.polar(torch.ones(n, d // 2, dtype=F), torch.outer(torch.arange(n, dtype=F), inv))

    ft, fh, fw = axis(f, d_t), axis(h, d_h), axis(w, d_h)
    grid = torch.cat([
        ft[:, None, None, :].expand(f, h, w, -1),
        fh[None, :, None, :].expand(f, h, w, -1),
        fw[None, None, :, :].expand(f, h, w, -1)], dim=-1)
    return grid.reshape(f * h * w, head_dim // 2)


def apply_rope(x, freqs):
    """x [B, L, heads, d] real -> rotated, pairs (2k, 2k+1) as complex numbers."""
    b, l, n, d = x.shape
    xc = torch.view_as_complex(x.reshape(b, l, n, d // 2, 2).contiguous())
    return torch.view_as_real(xc * freqs[None, :, None, :]).reshape(b, l, n, d)


def attention(q, k, v, heads):
    b, lq, dim = q.shape
    d = dim // heads
    q = q.view(b, lq, heads, d).transpose(1, 2)
    k = k.view(b, k.shape[1], heads, d).transpose(1, 2)
    v = v.view(b, v.shape[1], heads, d).transpose(1, 2)
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
    return (a @ v).transpose(1, 2).reshape(b, lq, dim)


def sinusoid(t, n):
    half = n // 2
    arg = t[..., None].to(F) * torch.pow(10000.0, -torch.arange(half, dtype=F) / half)
    return torch.cat([torch.cos(arg), torch.sin(arg)], dim=-1)


def forward(w, cfg, x, t, context):
    dim, heads, eps = cfg["dim"], cfg["num_heads"], cfg["eps"]
    pt, ph, pw = cfg["patch"]
    b = x.shape[0]
    # Patch embedding written as a matrix product over flattened (c, kt, kh, kw) patches.
    _, c, T, H, W = x.shape
    fT, fH, fW = T // pt, H // ph, W // pw
    patches = x.reshape(b, c, fT, pt, fH, ph, fW, pw).permute(0, 2, 4, 6, 1, 3, 5, 7)
    patches = patches.reshape(b, fT * fH * fW, c * pt * ph * pw)
    pe = w["patch_embedding.weight"].reshape(dim, -1)
    h = patches @ pe.t() + w["patch_embedding.bias"]
    L = h.shape[1]

    if t.dim() == 1:
        t = t[:, None].expand(b, L)
    s = sinusoid(t, w["time_embedding.0.weight"].shape[1])
    e = linear(torch.nn.functional.silu(linear(s, w, "time_embedding.0")), w, "time_embedding.2")
    e0 = linear(torch.nn.functional.silu(e), w, "time_projection.1").view(b, L, 6, dim)

    n = context.shape[1]
    ctx = torch.cat([context, context.new_zeros(b, cfg["text_len"] - n, context.shape[2])], 1)
    ctx = linear(gelu_tanh(linear(ctx, w, "text_embedding.0")), w, "text_embedding.2")

    freqs = rope_freqs(dim // heads, fT, fH, fW)
    for i in range(cfg["num_layers"]):
        p = "blocks.%d." % i
        m = w[p + "modulation"][None] + e0                                     # [B, L, 6, dim]
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = m.unbind(2)
        y = layer_norm(h, eps) * (1 + scale_msa) + shift_msa
        q = rms_norm(linear(y, w, p + "self_attn.q"), w[p + "self_attn.norm_q.weight"], eps)
        k = rms_norm(linear(y, w, p + "self_attn.k"), w[p + "self_attn.norm_k.weight"], eps)
        v = linear(y, w, p + "self_attn.v")
        q = apply_rope(q.view(b, L, heads, -1), freqs).reshape(b, L, dim)
        k = apply_rope(k.view(b, L, heads, -1), freqs).reshape(b, L, dim)
        h = h + linear(attention(q, k, v, heads), w, p + "self_attn.o") * gate_msa

        y = layer_norm(h, eps, w[p + "norm3.weight"], w[p + "norm3.bias"])
        q = rms_norm(linear(y, w, p + "cross_attn.q"), w[p + "cross_attn.norm_q.weight"], eps)
        k = rms_norm(linear(ctx, w, p + "cross_attn.k"), w[p + "cross_attn.norm_k.weight"], eps)
        v = linear(ctx, w, p + "cross_attn.v")
        h = h + linear(attention(q, k, v, heads), w, p + "cross_attn.o")

        y = layer_norm(h, eps) * (1 + scale_mlp) + shift_mlp
        y = linear(gelu_tanh(linear(y, w, p + "ffn.0")), w, p + "ffn.2")
        h = h + y * gate_mlp

    hm = w["head.modulation"][None] + e[:, :, None, :]                          # [B, L, 2, dim]
    y = layer_norm(h, eps) * (1 + hm[:, :, 1]) + hm[:, :, 0]
    y = linear(y, w, "head.head")                                          # [B, L, p*C]
    C = cfg["out_dim"]
    y = y.view(b, fT, fH, fW, pt, ph, pw, C)
    y = torch.einsum("bfhwpqrc->bcfphqwr", y)
    return y.reshape(b, C, fT * pt, fH * ph, fW * pw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    w, cfg = load_model(a.model)
    inp = safetensors_lite.load(a.inp)
    with torch.no_grad():
        v = forward(w, cfg, inp["x"].to(F), inp["t"].to(F), inp["context"].to(F))
    safetensors_lite.save(a.out, {"v": v.to(torch.float32)})


if __name__ == "__main__":
    main()
