#!/usr/bin/python3
"""Independent reference of the Wan VAEs (spec section 3): Wan2.1 (z 16, stride 4x8x8) and
Wan2.2 (z 48, 2x2 pixel patches, level shortcuts, stride 4x16x16), float64, written in the spec's
whole-sequence form (no chunks, no caches): causal convs with two zero frames in front;
downsample3d keeps frame 0 and runs its stride-2 temporal conv over all frames without padding;
upsample3d passes frame 0 through and runs its temporal conv over frames 1.. with zero history.
The version is read from decoder.head.2.weight (3 or 12 output channels).

decode: reads `z` [B, z, T, h, w] (VAE units), writes `video` [B, 3, 4(T-1)+1, s h, s w] in [-1, 1].
encode: reads `video` [B, 3, 4n+1, H, W], writes `mu` [B, z, n+1, H/s, W/s] (VAE units).

usage: wan_vae_reference.py [--mode decode|encode] --model vae.safetensors --in in.safetensors
                            --out out.safetensors"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

F = torch.float64


def causal(x, w, b):
    kt, kh, kw = w.shape[2:]
    x = Fn.pad(x, (kw // 2, kw // 2, kh // 2, kh // 2, kt - 1, 0))
    return Fn.conv3d(x, w, b)


def rms(x, gamma):
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12) * math.sqrt(x.shape[1]) * gamma


def res(W, p, x):
    skip = Fn.conv3d(x, W[p + "shortcut.weight"], W[p + "shortcut.bias"]) \
        if p + "shortcut.weight" in W else x
    h = causal(Fn.silu(rms(x, W[p + "residual.0.gamma"])), W[p + "residual.2.weight"],
               W[p + "residual.2.bias"])
    h = causal(Fn.silu(rms(h, W[p + "residual.3.gamma"])), W[p + "residual.6.weight"],
               W[p + "residual.6.bias"])
    return h + skip


def attn(W, p, x):
    b, c, t, h, w = x.shape
    out = []
    for f in range(t):
        y = rms(x[:, :, f], W[p + "norm.gamma"])
        qkv = Fn.conv2d(y, W[p + "to_qkv.weight"], W[p + "to_qkv.bias"]).flatten(2)  # [b, 3c, hw]
        q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
        a = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(c), dim=-1)           # [b, hw, hw]
        o = (a @ v.transpose(1, 2)).transpose(1, 2).reshape(b, c, h, w)
        out.append(Fn.conv2d(o, W[p + "proj.weight"], W[p + "proj.bias"]))
    return torch.stack(out, 2) + x


def per_frame(x, fn):
    return torch.stack([fn(x[:, :, f]) for f in range(x.shape[2])], 2)


def spatial_up(W, p, x):
    return per_frame(x, lambda y: Fn.conv2d(Fn.interpolate(y, scale_factor=2, mode="nearest"),
                                            W[p + "resample.1.weight"], W[p + "resample.1.bias"],
                                            padding=1))


def spatial_down(W, p, x):
    return per_frame(x, lambda y: Fn.conv2d(Fn.pad(y, (0, 1, 0, 1)), W[p + "resample.1.weight"],
                                            W[p + "resample.1.bias"], stride=2))


def temporal_up(W, p, x):
    if x.shape[2] == 1:
        return x
    rest = causal(x[:, :, 1:], W[p + "time_conv.weight"], W[p + "time_conv.bias"])  # [b, 2c, T-1]
    c = x.shape[1]
    frames = [x[:, :, :1]]
    for k in range(rest.shape[2]):
        frames += [rest[:, :c, k:k + 1], rest[:, c:, k:k + 1]]
    return torch.cat(frames, 2)


def temporal_down(W, p, x):
    if x.shape[2] < 3:
        return x[:, :, :1]
    y = Fn.conv3d(x, W[p + "time_conv.weight"], W[p + "time_conv.bias"], stride=(2, 1, 1))
    return torch.cat([x[:, :, :1], y], 2)


def cells(ft, fs):
    return [(dt, dh, dw) for dt in range(ft) for dh in range(fs) for dw in range(fs)]


def avg_down(x, cout, ft, fs):
    """Each (ft, fs, fs) cell becomes f = ft fs fs channels next to its own (c f + cell), time
    zero-padded in front to a multiple of ft; consecutive channel groups are averaged."""
    x = Fn.pad(x, (0, 0, 0, 0, (ft - x.shape[2] % ft) % ft, 0))
    parts = [x[:, :, dt::ft, dh::fs, dw::fs] for dt, dh, dw in cells(ft, fs)]
    y = torch.stack(parts, 2).flatten(1, 2)                        # [b, c f, T', H', W']
    return y.reshape(y.shape[0], cout, -1, *y.shape[2:]).mean(2)


def dup_up(x, cout, ft, fs):
    """Channels repeated to cout f; channel o f + cell fills that cell of the output; the first
    ft - 1 frames are dropped (one frame stays one frame)."""
    b, c, t, h, w = x.shape
    f = ft * fs * fs
    y = x.repeat_interleave(cout * f // c, 1).reshape(b, cout, f, t, h, w)
    out = x.new_zeros(b, cout, t * ft, h * fs, w * fs)
    for k, (dt, dh, dw) in enumerate(cells(ft, fs)):
        out[:, :, dt::ft, dh::fs, dw::fs] = y[:, :, k]
    return out[:, :, ft - 1:]


def patchify(x):
    """[b, 3, t, 2h, 2w] -> [b, 12, t, h, w], channel c 4 + column offset 2 + row offset."""
    return torch.stack([x[:, c, :, q::2, r::2] for c in range(3) for r in range(2)
                        for q in range(2)], 1)


def unpatchify(x):
    b, _, t, h, w = x.shape
    out = x.new_zeros(b, 3, t, 2 * h, 2 * w)
    for c in range(3):
        for r in range(2):
            for q in range(2):
                out[:, c, :, q::2, r::2] = x[:, c * 4 + r * 2 + q]
    return out


def is_v22(W):
    return W["decoder.head.2.weight"].shape[0] == 12


def blocks(W, prefix, inner):
    """Levels as lists of block prefixes: Wan2.2 nests `inner`, Wan2.1 is one flat list."""
    levels = []
    i = 0
    while any(k.startswith("%s%d." % (prefix, i)) for k in W):
        if inner:
            level, j = [], 0
            while any(k.startswith("%s%d.%s%d." % (prefix, i, inner, j)) for k in W):
                level.append("%s%d.%s%d." % (prefix, i, inner, j))
                j += 1
            levels.append(level)
        else:
            levels.append(["%s%d." % (prefix, i)])
        i += 1
    return levels


def encode(W, video):
    v22 = is_v22(W)
    x = patchify(video) if v22 else video
    x = causal(x, W["encoder.conv1.weight"], W["encoder.conv1.bias"])
    for level in blocks(W, "encoder.downsamples.", "downsamples." if v22 else None):
        inp = x
        temporal = spatial = False
        for p in level:
            if p + "resample.1.weight" in W:
                x = spatial_down(W, p, x)
                spatial = True
                if p + "time_conv.weight" in W:
                    x = temporal_down(W, p, x)
                    temporal = True
            else:
                x = res(W, p, x)
        if v22:
            x = x + avg_down(inp, x.shape[1], 2 if temporal else 1, 2 if spatial else 1)
    x = res(W, "encoder.middle.0.", x)
    x = attn(W, "encoder.middle.1.", x)
    x = res(W, "encoder.middle.2.", x)
    x = causal(Fn.silu(rms(x, W["encoder.head.0.gamma"])), W["encoder.head.2.weight"],
               W["encoder.head.2.bias"])
    x = Fn.conv3d(x, W["conv1.weight"], W["conv1.bias"])
    return x[:, :x.shape[1] // 2]


def decode(W, z):
    v22 = is_v22(W)
    x = Fn.conv3d(z, W["conv2.weight"], W["conv2.bias"])
    x = causal(x, W["decoder.conv1.weight"], W["decoder.conv1.bias"])
    x = res(W, "decoder.middle.0.", x)
    x = attn(W, "decoder.middle.1.", x)
    x = res(W, "decoder.middle.2.", x)
    for level in blocks(W, "decoder.upsamples.", "upsamples." if v22 else None):
        inp = x
        temporal = spatial = False
        for p in level:
            if p + "resample.1.weight" in W:
                if p + "time_conv.weight" in W:
                    x = temporal_up(W, p, x)
                    temporal = True
                x = spatial_up(W, p, x)
                spatial = True
            else:
                x = res(W, p, x)
        if v22 and spatial:
            x = x + dup_up(inp, x.shape[1], 2 if temporal else 1, 2)
    x = causal(Fn.silu(rms(x, W["decoder.head.0.gamma"])), W["decoder.head.2.weight"],
               W["decoder.head.2.bias"])
    if v22:
        x = unpatchify(x)
    return x.clamp(-1, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("decode", "encode"), default="decode")
    ap.add_argument("--model", required=True)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    W = {k: v.to(F) for k, v in safetensors_lite.load(a.model).items()}
    inputs = safetensors_lite.load(a.inp)
    with torch.no_grad():
        if a.mode == "decode":
            out = {"video": decode(W, inputs["z"].to(F))}
        else:
            out = {"mu": encode(W, inputs["video"].to(F))}
    safetensors_lite.save(a.out, {k: v.to(torch.float32) for k, v in out.items()})


if __name__ == "__main__":
    main()
